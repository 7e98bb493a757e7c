import type { Command } from 'commander';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { startTrace, stopTrace } from '../../core/trace.js';
import { toTerminal } from '../../report/terminal.js';
import { executeSpec, loadSpecFile } from '../../suite/execute.js';
import { parseWeightsFlag } from '../../suite/score.js';
import { setExitCode } from '../main.js';
import { stdoutReport, writeOutputs, type OutputFlags } from '../outputs.js';
import { printLoadNotes } from '../notes.js';
import { printWarning, progressReporter, useColor } from '../progress.js';

interface RunFlags extends OutputFlags {
  weights?: string;
  quiet?: boolean;
  color?: boolean;
  failOnError?: boolean;
  trace?: string;
}

/** `sway run SPEC`: run a suite and print the report. */
export function register(program: Command): void {
  program
    .command('run')
    .description('run a sway.yaml suite and print the report (terminal table on stdout)')
    .argument('<spec>', 'path to sway.yaml')
    .option('--json <file>', 'also write the JSON report (reference report.json shape); - for stdout')
    .option('--markdown <file>', 'also write a Markdown report; - for stdout')
    .option('--junit <file>', 'also write JUnit XML (one testcase per probe); - for stdout')
    .option('--html <file>', 'also write a self-contained HTML report with plots')
    .option('--weights <pairs>', 'override category weights, e.g. "attribution=0.5,adherence=0.2"')
    .option('--trace <file>', 'write a forward-pass trace (JSONL: probe, view, rows, tokens, ms, cache hit); summarise it with `sway trace`')
    .option('--quiet', 'no progress on stderr')
    .option('--no-color', 'plain text output (NO_COLOR is honoured too)')
    .addHelpText('after', '\nExamples:\n  sway run sway.yaml\n  sway run sway.yaml --json report.json --html report.html --weights attribution=0.5\n\nExit codes: 0 ran (whatever the verdicts), 2 bad spec or input, 3 runtime error.')
    .action(async (specPath: string, flags: RunFlags, cmd: Command) => {
      const weights = flags.weights ? parseWeightsFlag(flags.weights) : undefined;
      stdoutReport(flags);
      const loaded = loadSpecFile(specPath);
      printLoadNotes(loaded, Boolean(flags.quiet));
      const reporter = progressReporter(Boolean(flags.quiet));
      if (flags.trace) startTrace();
      let executed;
      try {
        executed = await executeSpec(loaded, { onWarning: printWarning, ...(weights ? { weights } : {}), ...(reporter ? { onProgress: reporter } : {}) });
      } finally {
        const events = stopTrace();
        if (flags.trace) writeFileAtomic(flags.trace, events.map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : ''));
      }
      const { suite, score } = executed;
      const stdoutTaken = writeOutputs(flags, suite, score);
      // With a report on stdout (`--json -`), the table goes to stderr so stdout stays machine-clean.
      const table = stdoutTaken ? process.stderr : process.stdout;
      if (!(stdoutTaken && flags.quiet)) table.write(toTerminal(suite, score, { color: !stdoutTaken && useColor(flags.color) }));
      setExitCode(cmd, 0);
    });
}
