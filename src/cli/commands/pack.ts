import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { pack, unpack } from '../../suite/pack/pack.js';

/** `sway pack` and `sway unpack`: ship a spec with its calibration and golden report. */
export function register(program: Command): void {
  program
    .command('pack')
    .description('bundle a spec, its .dlm source, the null-stats cache and a golden report into one .swaypack.tar.gz')
    .argument('<spec>', 'path to sway.yaml')
    .requiredOption('-o, --out <file>', 'output file (must not exist)')
    .option('--include-golden <file>', 'a JSON report to ship as swaypack/golden.json')
    .option('--no-include-null-cache', 'leave the null-statistics cache out')
    .option('--max-size-mb <n>', 'refuse to write a pack larger than this', '50')
    .addHelpText('after', '\nExample:\n  sway pack sway.yaml -o run.swaypack.tar.gz --include-golden report.json')
    .action((spec: string, flags: { out: string; includeGolden?: string; includeNullCache: boolean; maxSizeMb: string }) => {
      const cap = Number(flags.maxSizeMb);
      if (!(cap > 0)) throw new UsageError(`--max-size-mb must be a positive number, got '${flags.maxSizeMb}'`);
      const r = pack(spec, { out: flags.out, ...(flags.includeGolden ? { includeGolden: flags.includeGolden } : {}), includeNullCache: flags.includeNullCache, maxSizeMb: cap });
      process.stdout.write(`wrote ${r.outPath} (${(r.sizeBytes / 1024).toFixed(1)} KB)  sections=${r.sectionBytes}b  null_stats=${r.nullStatsCount}  golden=${r.goldenIncluded ? 'yes' : 'no'}\n`);
    });
  program
    .command('unpack')
    .description('extract a .swaypack.tar.gz safely (no absolute paths, no .., no links, size limits)')
    .argument('<pack>', 'the pack file')
    .option('-o, --out <dir>', 'target directory (default: current directory)', '.')
    .action(async (file: string, flags: { out: string }) => {
      const r = await unpack(file, flags.out);
      process.stdout.write(`extracted: ${r.outDir}\n  spec_path: ${r.specPath}\n`);
      if (r.nullStatsDir) process.stdout.write(`  null_stats_dir: ${r.nullStatsDir}\n`);
      process.stdout.write(`\nTo run the bundled spec:\n  ${r.nullStatsDir ? `SWAY_NULL_CACHE_DIR=${r.nullStatsDir} ` : ''}sway run ${r.specPath}\n`);
    });
}
