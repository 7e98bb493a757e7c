import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { packSuite } from '../../suite/pack/pack.js';

function kb(n: number): string {
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** `sway pack SPEC -o X.swaypack.tar.gz`. */
export function register(program: Command): void {
  program
    .command('pack')
    .description('bundle a suite (spec, .dlm source, null-stats cache, optional golden report) into one .swaypack.tar.gz')
    .argument('<spec>', 'path to sway.yaml')
    .requiredOption('-o, --out <file>', 'output file, e.g. suite.swaypack.tar.gz (never overwritten)')
    .option('--include-golden <file>', 'also bundle a golden report.json')
    .option('--no-include-null-cache', 'leave the null-stats cache out')
    .option('--max-size-mb <n>', 'refuse to write a pack larger than this', '50')
    .addHelpText(
      'after',
      `
Examples:
  sway pack sway.yaml -o suite.swaypack.tar.gz
  sway pack sway.yaml -o suite.swaypack.tar.gz --include-golden report.json --max-size-mb 10`,
    )
    .action(async (spec: string, flags: { out: string; includeGolden?: string; includeNullCache?: boolean; maxSizeMb: string }) => {
      const cap = Number(flags.maxSizeMb);
      if (!Number.isFinite(cap) || cap <= 0) throw new UsageError(`--max-size-mb: expected a positive number, got '${flags.maxSizeMb}'`);
      const r = await packSuite(spec, {
        out: flags.out,
        maxSizeMb: cap,
        includeNullCache: flags.includeNullCache !== false,
        ...(flags.includeGolden ? { includeGolden: flags.includeGolden } : {}),
      });
      process.stdout.write(`wrote ${r.outPath} (${kb(r.sizeBytes)})  sections=${r.sectionBytes}b  null_stats=${r.nullStatsCount}  golden=${r.goldenIncluded ? 'yes' : 'no'}\n`);
    });
}
