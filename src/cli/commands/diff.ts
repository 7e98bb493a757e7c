import type { Command } from 'commander';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { UsageError } from '../../core/errors.js';
import { executeSpec, loadSpecFile } from '../../suite/execute.js';
import { setExitCode } from '../main.js';
import { printLoadNotes } from '../notes.js';
import { printEachWarningOnce, progressReporter } from '../progress.js';
import { resolve } from 'node:path';
import { adapterDiff, renderAdapterDiff } from './diff-report.js';

interface DiffFlags {
  a: string;
  b: string;
  quiet?: boolean;
  json?: string;
  failOnRegression: string;
}

/** `sway diff SPEC --a A --b B`: the same suite on two adapters, per-probe deltas. */
export function register(program: Command): void {
  program
    .command('diff')
    .description('run one suite against two adapters and print per-probe score changes A → B')
    .argument('<spec>', 'path to sway.yaml')
    .requiredOption('--a <adapter>', 'first adapter directory')
    .requiredOption('--b <adapter>', 'second adapter directory')
    .option('--json <file>', 'also write the comparison as JSON; - for stdout (the text then goes to stderr)')
    .option('--fail-on-regression <drop>', 'exit 1 when a probe score or the composite fell by more than DROP from A to B (0 never fails)', '0')
    .option('--quiet', 'no progress on stderr')
    .addHelpText('after', '\nExample:\n  sway diff sway.yaml --a runs/v1/adapter --b runs/v2/adapter --fail-on-regression 0.1 --json diff.json\n\nExit codes: 0 compared, 1 regression beyond --fail-on-regression, 2 bad spec or input.')
    .action(async (spec: string, flags: DiffFlags, cmd: Command) => {
      const drop = Number(flags.failOnRegression);
      if (!Number.isFinite(drop) || drop < 0) throw new UsageError(`--fail-on-regression must be a number >= 0, got '${flags.failOnRegression}'`);
      const results = [];
      const onWarning = printEachWarningOnce();
      for (const adapter of [flags.a, flags.b]) {
        const loaded = loadSpecFile(spec);
        if (results.length === 0) printLoadNotes(loaded, Boolean(flags.quiet));
        loaded.spec.models.ft = { ...loaded.spec.models.ft, adapter: resolve(adapter) };
        loaded.spec.defaults.differential = true;
        const reporter = progressReporter(Boolean(flags.quiet));
        results.push(await executeSpec(loaded, { onWarning, ...(reporter ? { onProgress: reporter } : {}) }));
      }
      const diff = adapterDiff(results[0]!, results[1]!, { a: flags.a, b: flags.b }, drop);
      const json = `${JSON.stringify(diff, null, 2)}\n`;
      const text = renderAdapterDiff(diff);
      if (flags.json === '-') {
        process.stdout.write(json);
        process.stderr.write(text);
      } else {
        if (flags.json) writeFileAtomic(flags.json, json);
        process.stdout.write(text);
      }
      setExitCode(cmd, diff.failed ? 1 : 0);
    });
}
