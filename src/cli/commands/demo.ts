import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../core/atomic-write.js';
import type { SwayScore, SuiteResult } from '../../core/results.js';
import { writeStrengthMatchedRandom } from '../../engine/fixtures/strength-matched.js';
import { writeTinyFixtures } from '../../engine/fixtures/tiny-suite.js';
import { toTerminal } from '../../report/terminal.js';
import { demoSpecYaml } from '../../suite/demo-specs.js';
import { executeSpec, loadSpecFile } from '../../suite/execute.js';
import { writeOutputs } from '../outputs.js';
import { printWarning, progressReporter, useColor } from '../progress.js';

/** Seed of the demo's strength-matched random adapter (the one the acceptance test checks). */
export const DEMO_MATCHED_SEED = 1;

/** One line per adapter: band, composite, and delta_kl's z against its nulls. */
export function demoVerdictLine(label: string, suite: SuiteResult, score: SwayScore): string {
  const dk = suite.probes.find((p) => p.kind === 'delta_kl');
  const z = dk?.z_score;
  const zText = typeof z === 'number' && Number.isFinite(z) ? `delta_kl z = ${z.toFixed(2)}` : 'delta_kl z = n/a';
  return `  ${`adapters/${label}`.padEnd(33)} ${score.band.padEnd(10)} composite ${score.overall.toFixed(2)}  ${zText}`;
}

/** `sway demo`: tiny fixtures generated locally, three calibrated suites, no downloads. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('generate a tiny model and adapters locally and run a calibrated suite on a trained, a random and a strength-matched random adapter')
    .option('--out <dir>', 'where to write fixtures, specs and reports (default: a new temp directory)')
    .option('--quiet', 'no progress on stderr')
    .option('--no-color', 'plain text output')
    .addHelpText(
      'after',
      '\nThe trained adapter should land in the healthy band with a passing delta_kl; the random one\n' +
        '(same shapes, no intended effect) and the strength-matched random one (random directions with\n' +
        "the trained adapter's per-module ||B·A||) should land outside it, with |delta_kl z| < 3.",
    )
    .action(async (flags: { out?: string; quiet?: boolean; color?: boolean }) => {
      const root = flags.out ? resolve(flags.out) : mkdtempSync(join(tmpdir(), 'sway-demo-'));
      if (!flags.quiet) process.stderr.write(`sway demo: writing fixtures to ${root}\n`);
      const fx = writeTinyFixtures(join(root, 'fixtures'));
      const matched = join(root, 'fixtures', 'adapters', 'strength-matched-random');
      writeStrengthMatchedRandom(fx.trained, matched, DEMO_MATCHED_SEED);
      const verdicts: string[] = [];
      for (const [label, adapter] of [['trained', fx.trained], ['random', fx.random], ['strength-matched-random', matched]] as const) {
        const specPath = join(root, `sway-${label}.yaml`);
        writeFileAtomic(specPath, demoSpecYaml(fx.base, adapter));
        const loaded = loadSpecFile(specPath);
        const reporter = progressReporter(Boolean(flags.quiet));
        const { suite, score } = await executeSpec(loaded, { onWarning: printWarning, ...(reporter ? { onProgress: reporter } : {}) });
        writeOutputs({ json: join(root, `report-${label}.json`), html: join(root, `report-${label}.html`), markdown: join(root, `report-${label}.md`) }, suite, score);
        process.stdout.write(`\n=== demo: adapters/${label} ===\n`);
        process.stdout.write(toTerminal(suite, score, { color: useColor(flags.color) }));
        verdicts.push(demoVerdictLine(label, suite, score));
      }
      process.stdout.write(`\n=== demo: verdicts ===\n${verdicts.join('\n')}\n`);
      process.stdout.write(`\nspecs and reports (JSON, Markdown, HTML) are in ${root}\n`);
    });
}
