import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { toTerminal } from '../../report/terminal.js';
import { executeSpec, loadSpecFile } from '../../suite/execute.js';
import { setExitCode } from '../main.js';
import { gatePasses, stdoutReport, writeOutputs, type OutputFlags } from '../outputs.js';
import { printLoadNotes } from '../notes.js';
import { printWarning, progressReporter, useColor } from '../progress.js';

/** `sway gate SPEC`: CI gate — exit 1 on a failed probe, an errored probe, or a low composite. */
export function register(program: Command): void {
  program
    .command('gate')
    .description('run a suite and exit 1 if any probe failed or errored, or the composite is below the threshold')
    .argument('<spec>', 'path to sway.yaml')
    .option('--threshold <x>', 'minimum composite score in [0, 1] (default: defaults.coverage_threshold, 0.6)')
    .option('--junit <file>', 'also write JUnit XML; - for stdout')
    .option('--json <file>', 'also write the JSON report; - for stdout')
    .option('--markdown <file>', 'also write a Markdown report; - for stdout')
    .option('--quiet', 'no progress on stderr')
    .option('--no-color', 'plain text output')
    .addHelpText('after', '\nExamples:\n  sway gate sway.yaml --threshold 0.6 --junit sway.xml\n\nExit codes: 0 gate passed, 1 gate failed (FAIL or ERROR probe, or composite below threshold), 2 bad spec or input.')
    .action(async (specPath: string, flags: OutputFlags & { threshold?: string; quiet?: boolean; color?: boolean }, cmd: Command) => {
      let threshold: number | undefined;
      if (flags.threshold !== undefined) {
        threshold = Number(flags.threshold);
        if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) throw new UsageError(`--threshold must be a number in [0, 1], got '${flags.threshold}'`);
      }
      stdoutReport(flags);
      const loaded = loadSpecFile(specPath);
      printLoadNotes(loaded, Boolean(flags.quiet));
      const reporter = progressReporter(Boolean(flags.quiet));
      const { suite, score } = await executeSpec(loaded, { onWarning: printWarning, ...(reporter ? { onProgress: reporter } : {}) });
      const stdoutTaken = writeOutputs(flags, suite, score);
      // With a report on stdout (`--json -`), the table goes to stderr so stdout stays machine-clean.
      const table = stdoutTaken ? process.stderr : process.stdout;
      if (!(stdoutTaken && flags.quiet)) table.write(toTerminal(suite, score, { color: !stdoutTaken && useColor(flags.color) }));
      const gate = gatePasses(suite, score, threshold ?? loaded.spec.defaults.coverage_threshold);
      table.write(gate.ok ? 'gate: PASS\n' : `gate: FAIL — ${gate.reasons.join('; ')}\n`);
      setExitCode(cmd, gate.ok ? 0 : 1);
    });
}
