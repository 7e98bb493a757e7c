import type { Command } from 'commander';
import { unpackSuite } from '../../suite/pack/pack.js';

/** `sway unpack X.swaypack.tar.gz [-o DIR]`. */
export function register(program: Command): void {
  program
    .command('unpack')
    .description('safely extract a .swaypack.tar.gz into DIR/swaypack (refuses links, absolute paths, .. and oversize members)')
    .argument('<pack>', 'a file written by sway pack')
    .option('-o, --out <dir>', 'target directory (default: current directory)')
    .addHelpText('after', '\nExample:\n  sway unpack suite.swaypack.tar.gz -o /tmp/suite')
    .action((pack: string, flags: { out?: string }) => {
      const r = unpackSuite(pack, flags.out);
      const lines = [`extracted: ${r.outDir}`, `  spec_path: ${r.specPath}`];
      if (r.nullStatsDir) lines.push(`  null_stats_dir: ${r.nullStatsDir}`);
      lines.push('', 'To run the bundled spec:');
      lines.push(`  ${r.nullStatsDir ? `SWAY_NULL_CACHE_DIR=${r.nullStatsDir} ` : ''}sway run ${r.specPath}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
