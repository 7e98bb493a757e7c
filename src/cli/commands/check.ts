import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { UsageError } from '../../core/errors.js';
import { SENTINEL_PROMPTS } from '../../probes/common.js';
import { reportObject } from '../../report/json.js';
import { pyJsonDumps } from '../../report/pyjson.js';
import { toTerminal } from '../../report/terminal.js';
import { checkSpecYaml } from '../../suite/demo-specs.js';
import { executeSpec, loadSpecFile } from '../../suite/execute.js';
import { setExitCode } from '../main.js';
import { printWarning, progressReporter, useColor } from '../progress.js';
import { checkOutcome } from './check-outcome.js';

/** `sway check ADAPTER --base MODEL`: built-in smoke suite with null calibration. */
export function register(program: Command): void {
  program
    .command('check')
    .description('quick smoke test of one adapter: null calibration + delta_kl + ablation, one-line verdict')
    .argument('<adapter>', 'PEFT adapter directory')
    .option('--base <model>', "base model: a directory or a Hugging Face id in the local hub cache (default: the adapter's base_model_name_or_path)")
    .option('--prompt <text...>', 'prompts to probe (default: four generic sentence starts)')
    .option('--json', 'print one JSON object (verdict, exit code, line, delta_kl z, failed checks, full report) on stdout instead of the table')
    .option('--quiet', 'no progress on stderr')
    .option('--no-color', 'plain text output')
    .addHelpText(
      'after',
      '\nExample:\n  sway check ./runs/adapter --base ./models/SmolLM2-135M\n\n' +
        'Exit codes: 0 the adapter is distinguishable from a null adapter of its strength (delta_kl z ≥ 3) and no check failed;\n' +
        '1 it is not, or a check failed or errored; 2 bad input (missing adapter, unresolvable base).',
    )
    .action(async (adapter: string, flags: { base?: string; prompt?: string[]; json?: boolean; quiet?: boolean; color?: boolean }, cmd: Command) => {
      const { adapterBaseModel, resolveModelDir } = await import('../../engine/resolve.js');
      const adapterDir = resolve(adapter);
      if (!existsSync(join(adapterDir, 'adapter_config.json'))) {
        throw new UsageError(`${join(adapterDir, 'adapter_config.json')}: not found — sway check needs a PEFT adapter directory (adapter_config.json + adapter_model.safetensors)`);
      }
      const baseId = flags.base ?? adapterBaseModel(adapterDir);
      if (!baseId) throw new UsageError(`${join(adapterDir, 'adapter_config.json')} has no base_model_name_or_path; pass --base <model dir or hub id>`);
      // A hub id resolves in the local hub cache exactly as in a spec (ModelError, exit 2, when absent).
      const baseDir = resolveModelDir(baseId, 'model');
      const dir = mkdtempSync(join(tmpdir(), 'sway-check-'));
      try {
        const specPath = join(dir, 'sway.yaml');
        writeFileAtomic(specPath, checkSpecYaml(baseDir, adapterDir, flags.prompt ?? [...SENTINEL_PROMPTS]));
        const loaded = loadSpecFile(specPath);
        const reporter = progressReporter(Boolean(flags.quiet));
        const { suite, score } = await executeSpec(loaded, { specPath: '<check>', onWarning: printWarning, ...(reporter ? { onProgress: reporter } : {}) });
        const outcome = checkOutcome(suite);
        if (flags.json) {
          const out = {
            verdict: outcome.verdict,
            exit_code: outcome.exitCode,
            line: outcome.line,
            distinguishable: outcome.distinguishable,
            delta_kl_z: outcome.deltaKlZ,
            null_scale: outcome.nullFamily,
            failed: outcome.failed,
            composite: score.overall,
            band: score.band,
            report: reportObject({ ...suite, base_model_id: baseId }, score),
          };
          process.stdout.write(`${pyJsonDumps(out)}\n`);
        } else {
          process.stdout.write(toTerminal({ ...suite, base_model_id: baseId }, score, { color: useColor(flags.color) }));
          process.stdout.write(`\n${outcome.line}\n`);
        }
        setExitCode(cmd, outcome.exitCode);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
}
