import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { SENTINEL_PROMPTS } from '../../probes/common.js';
import { toTerminal } from '../../report/terminal.js';
import { checkSpecYaml } from '../../suite/demo-specs.js';
import { executeSpec, loadSpecFile } from '../../suite/execute.js';
import { setExitCode } from '../main.js';
import { printWarning, progressReporter, useColor } from '../progress.js';

/** The one-line verdict of `sway check`, from the delta_kl z-score. */
export function checkBanner(z: number | null, overall: number): string {
  if (z === null) return `composite ${overall.toFixed(2)} — no null calibration available`;
  const sigma = `${z >= 0 ? '+' : ''}${z.toFixed(1)}σ`;
  if (z >= 3) return `adapter is ${z.toFixed(1)}σ above noise`;
  if (z >= 1) return `adapter is ${sigma} above noise — marginal`;
  return `adapter is indistinguishable from a null adapter (${sigma})`;
}

/** `sway check ADAPTER --base MODEL`: built-in smoke suite with null calibration. */
export function register(program: Command): void {
  program
    .command('check')
    .description('quick smoke test of one adapter: null calibration + delta_kl + ablation, one-line verdict')
    .argument('<adapter>', 'PEFT adapter directory')
    .option('--base <model>', "base model (default: the adapter's base_model_name_or_path)")
    .option('--prompt <text...>', 'prompts to probe (default: four generic sentence starts)')
    .option('--quiet', 'no progress on stderr')
    .option('--no-color', 'plain text output')
    .addHelpText('after', '\nExample:\n  sway check ./runs/adapter --base ./models/SmolLM2-135M')
    .action(async (adapter: string, flags: { base?: string; prompt?: string[]; quiet?: boolean; color?: boolean }, cmd: Command) => {
      const { adapterBaseModel } = await import('../../engine/resolve.js');
      const base = flags.base ?? adapterBaseModel(resolve(adapter));
      if (!base) throw new (await import('../../core/errors.js')).UsageError('the adapter has no base_model_name_or_path; pass --base');
      const dir = mkdtempSync(join(tmpdir(), 'sway-check-'));
      try {
        const specPath = join(dir, 'sway.yaml');
        writeFileAtomic(specPath, checkSpecYaml(resolve(base), resolve(adapter), flags.prompt ?? [...SENTINEL_PROMPTS]));
        const loaded = loadSpecFile(specPath);
        const reporter = progressReporter(Boolean(flags.quiet));
        const { suite, score } = await executeSpec(loaded, { specPath: '<check>', onWarning: printWarning, ...(reporter ? { onProgress: reporter } : {}) });
        process.stdout.write(toTerminal(suite, score, { color: useColor(flags.color) }));
        const z = suite.probes.find((p) => p.kind === 'delta_kl')?.z_score ?? null;
        process.stdout.write(`\n${checkBanner(z, score.overall)}\n`);
        setExitCode(cmd, 0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
}
