import type { Command } from 'commander';
import { executeSpec, loadSpecFile } from '../../suite/execute.js';
import { printEachWarningOnce, progressReporter } from '../progress.js';
import { resolve } from 'node:path';

/** `sway diff SPEC --a A --b B`: the same suite on two adapters, per-probe deltas. */
export function register(program: Command): void {
  program
    .command('diff')
    .description('run one suite against two adapters and print per-probe score changes A → B')
    .argument('<spec>', 'path to sway.yaml')
    .requiredOption('--a <adapter>', 'first adapter directory')
    .requiredOption('--b <adapter>', 'second adapter directory')
    .option('--quiet', 'no progress on stderr')
    .addHelpText('after', '\nExample:\n  sway diff sway.yaml --a runs/v1/adapter --b runs/v2/adapter')
    .action(async (spec: string, flags: { a: string; b: string; quiet?: boolean }) => {
      const results = [];
      const onWarning = printEachWarningOnce();
      for (const adapter of [flags.a, flags.b]) {
        const loaded = loadSpecFile(spec);
        loaded.spec.models.ft = { ...loaded.spec.models.ft, adapter: resolve(adapter) };
        loaded.spec.defaults.differential = true;
        const reporter = progressReporter(Boolean(flags.quiet));
        results.push(await executeSpec(loaded, { onWarning, ...(reporter ? { onProgress: reporter } : {}) }));
      }
      const [a, b] = results as [(typeof results)[0], (typeof results)[0]];
      const scoreMap = (r: typeof a) => new Map(r.suite.probes.map((p) => [p.name, p.score ?? 0]));
      const sa = scoreMap(a);
      const sb = scoreMap(b);
      const lines = [`overall  A: ${a.score.overall.toFixed(2)}   B: ${b.score.overall.toFixed(2)}`, '', 'per-probe (A → B, Δ):'];
      let small = 0;
      let large = 0;
      for (const name of [...new Set([...sa.keys(), ...sb.keys()])].sort()) {
        const x = sa.get(name) ?? 0;
        const y = sb.get(name) ?? 0;
        const d = y - x;
        if (d < -0.1) small++;
        if (d < -0.2) large++;
        lines.push(`  ${name.padEnd(30)}  ${x.toFixed(2)}  →  ${y.toFixed(2)}   (${d >= 0 ? '+' : ''}${d.toFixed(2)})`);
      }
      const dc = b.score.overall - a.score.overall;
      lines.push('', `A→B: ${small} probe(s) regressed >0.10, ${large} regressed >0.20, composite Δ=${dc >= 0 ? '+' : ''}${dc.toFixed(2)}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
