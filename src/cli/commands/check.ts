import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { UsageError } from '../../core/errors.js';
import { probeRegistry } from '../../suite/deps.js';
import { executeSpec, loadSpecText } from '../../suite/execute.js';
import { progressReporter } from '../shared/progress.js';
import { colorEnabled, printTerminal } from '../shared/render.js';
import { verdictBanner } from '../shared/banner.js';

export const QUICK_PROMPTS = [
  'The quick brown fox',
  'Once upon a time',
  'The answer to the question is',
  'One important lesson is',
  'In my opinion,',
  'The first step is to',
  'Remember that',
  'A common mistake is',
];

function inferBase(adapter: string): string | null {
  try {
    const cfg = JSON.parse(readFileSync(join(adapter, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    const b = cfg['base_model_name_or_path'];
    return typeof b === 'string' && b !== '' ? b : null;
  } catch {
    return null;
  }
}

/** The built-in smoke suite as sway.yaml text (JSON is valid YAML); kinds this build lacks are left out. */
export function checkSpecText(base: string, adapter: string, prompts: string[], available: ReadonlySet<string>): string {
  const suite = [
    { name: 'quick_gradient_ghost', kind: 'gradient_ghost', adapter_path: adapter },
    { name: 'quick_null', kind: 'null_adapter', runs: 3 },
    { name: 'quick_delta_kl', kind: 'delta_kl', prompts, assert_mean_gte: 0.01 },
    { name: 'quick_calibration', kind: 'calibration_drift', items_limit: 10 },
  ].filter((e) => available.has(e.kind));
  return JSON.stringify({
    version: 1,
    models: { base: { kind: 'hf', base }, ft: { kind: 'hf', base, adapter } },
    defaults: { seed: 0 },
    suite,
  });
}

/** `sway check ADAPTER --base MODEL`: a fast smoke test with null calibration. */
export function register(program: Command): void {
  program
    .command('check')
    .description('quick smoke test of one adapter: is its effect above what a null (random) adapter of the same shape does?')
    .argument('<adapter>', 'PEFT adapter directory (adapter_config.json + adapter_model.safetensors)')
    .option('--base <model>', 'base model directory or HF id (default: base_model_name_or_path in adapter_config.json)')
    .option('--prompts <file>', 'prompts to probe, one per non-blank line (default: 8 built-in prompts)')
    .option('-q, --quiet', 'no progress output on stderr')
    .option('--no-color', 'plain output')
    .addHelpText(
      'after',
      `
Prints "✅ adapter is N.Nσ above noise" or "❌ … indistinguishable from a null adapter", then the report.
Exit code 0 whatever the verdict (use sway gate in CI).

Examples:
  sway check ./runs/adapter --base ./models/SmolLM2-135M-Instruct
  sway check ./runs/adapter --prompts my-prompts.txt`,
    )
    .action(async (adapterDir: string, flags: { base?: string; prompts?: string; quiet?: boolean; color?: boolean }) => {
      const adapter = resolve(adapterDir);
      let base = flags.base ?? null;
      if (!base) {
        base = inferBase(adapter);
        if (!base) {
          throw new UsageError(
            `--base not given and adapter at ${adapter} doesn't carry a base_model_name_or_path in adapter_config.json. Pass --base explicitly.`,
          );
        }
        process.stderr.write(`${pc.cyan(`(inferred base model: ${base})`)}\n`);
      }
      let prompts = QUICK_PROMPTS;
      if (flags.prompts) {
        let text: string;
        try {
          text = readFileSync(flags.prompts, 'utf8');
        } catch (err) {
          throw new UsageError(`--prompts: cannot read ${flags.prompts}: ${(err as Error).message}`);
        }
        prompts = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
        if (!prompts.length) throw new UsageError(`--prompts: ${flags.prompts} has no non-blank lines`);
      }
      const kinds = new Set((await probeRegistry()).listProbes().map((d) => d.kind));
      const spec = await loadSpecText(checkSpecText(base, adapter, prompts, kinds), '<check>');
      const onProgress = progressReporter({ quiet: !!flags.quiet });
      const { suite, score } = await executeSpec(spec, { specPath: '<check>', ...(onProgress ? { onProgress } : {}) });
      const color = colorEnabled(flags.color === false);
      const c = pc.createColors(color);
      const gg = suite.probes.find((p) => p.kind === 'gradient_ghost');
      if (gg?.verdict === 'fail') {
        process.stdout.write(`${c.bold(c.red('\u26a0\ufe0f  PRE-RUN ALERT \u2014 gradient_ghost flagged severe undertraining'))}\n   ${c.red(gg.message)}\n${c.dim(c.red('The probe scores below may be unreliable. Consider retraining.'))}\n`);
      } else if (gg?.verdict === 'warn') {
        process.stdout.write(`${c.bold(c.yellow('\u26a0\ufe0f  gradient_ghost: training may not have fully converged'))}\n   ${gg.message}\n`);
      }
      process.stdout.write(`\n${verdictBanner(suite, score, color)}\n\n`);
      printTerminal(suite, score, color);
    });
}
