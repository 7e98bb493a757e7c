import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { CONTROL_PROMPTS, TRAINED_PAIRS, writeTinyFixture } from '../../engine/fixtures/index.js';
import { toFixedPy } from '../../report/format.js';
import { executeSpec, loadSpecFile } from '../../suite/execute.js';
import { progressReporter } from '../shared/progress.js';
import { colorEnabled, printTerminal } from '../shared/render.js';
import { verdictBanner } from '../shared/banner.js';
import { gateOutcome } from './gate.js';

/** The calibrated demo suite for one fixture adapter, as sway.yaml text (JSON is YAML). */
export function demoSpecText(adapter: 'trained' | 'random'): string {
  // delta_kl: half trained prompts, half controls the adapter should leave alone.
  const trained = TRAINED_PAIRS.slice(0, 3).map((p) => p.prompt);
  const prompts = [...trained, ...CONTROL_PROMPTS];
  return `${JSON.stringify(
    {
      version: 1,
      models: {
        base: { kind: 'hf', base: './base' },
        ft: { kind: 'hf', base: './base', adapter: `./adapters/${adapter}` },
      },
      defaults: { seed: 0, coverage_threshold: 0.6 },
      suite: [
        { name: 'null_baseline', kind: 'null_adapter', runs: 5 },
        { name: 'delta_kl', kind: 'delta_kl', prompts, assert_z_gte: 3.0 },
        // Divergence grows roughly quadratically in λ for small shifts, so linearity is modest
        // even for a clean adapter; the grid stops just past λ = 1 to measure overshoot.
        {
          name: 'ablation',
          kind: 'adapter_ablation',
          prompts: trained,
          lambdas: [0, 0.25, 0.5, 0.75, 1.0, 1.05],
          assert_linearity_gte: 0.5,
        },
      ],
    },
    null,
    2,
  )}\n`;
}

/** `sway demo`: the no-download walkthrough on generated tiny fixtures. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('generate a tiny model with a trained and a random adapter, and run a calibrated suite on each (offline, ~seconds)')
    .option('--out <dir>', 'where to write the fixtures, the two specs and reports (default: a fresh temp folder)')
    .option('-q, --quiet', 'no progress output on stderr')
    .option('--no-color', 'plain output')
    .addHelpText(
      'after',
      `
The trained adapter should land in the healthy band and pass; the random one in the noise band.

Examples:
  sway demo
  sway demo --out ./sway-demo && sway run ./sway-demo/sway-trained.yaml`,
    )
    .action(async (flags: { out?: string; quiet?: boolean; color?: boolean }) => {
      const dir = flags.out ? resolve(flags.out) : mkdtempSync(join(tmpdir(), 'sway-demo-'));
      const color = colorEnabled(flags.color === false);
      const c = pc.createColors(color);
      process.stderr.write(`sway demo: writing tiny fixtures to ${dir}\n`);
      writeTinyFixture(dir, { seed: 0 });
      const summary: string[] = [];
      for (const adapter of ['trained', 'random'] as const) {
        const specPath = join(dir, `sway-${adapter}.yaml`);
        writeFileSync(specPath, demoSpecText(adapter));
        const spec = await loadSpecFile(specPath);
        const onProgress = progressReporter({ quiet: !!flags.quiet });
        const { suite, score } = await executeSpec(spec, { specPath, ...(onProgress ? { onProgress } : {}) });
        process.stdout.write(`\n${c.bold(`=== demo: adapters/${adapter} as the fine-tune ===`)}\n\n${verdictBanner(suite, score, color)}\n\n`);
        printTerminal(suite, score, color);
        const gate = gateOutcome(suite, score, spec.defaults.coverage_threshold);
        summary.push(`  adapters/${adapter.padEnd(8)} overall ${toFixedPy(score.overall, 2)}  [ ${score.band} ]  ${gate.passed ? 'gate passed' : 'gate failed'}`);
      }
      process.stdout.write(`\n${c.bold('demo summary:')}\n${summary.join('\n')}\n\nRe-run either suite with: sway run ${join(dir, 'sway-trained.yaml')}\n`);
    });
}
