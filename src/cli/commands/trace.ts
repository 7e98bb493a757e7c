import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SwayError } from '../../core/errors.js';
import { parseTrace, summariseTrace } from '../../report/trace-summary.js';

/** `sway trace TRACE.jsonl`: summarise a forward-pass trace written by `sway run --trace`. */
export function register(program: Command): void {
  program
    .command('trace')
    .description('summarise a forward-pass trace (sway run --trace) per probe and view, with the slowest events')
    .argument('<trace>', 'a JSONL file written by `sway run --trace`')
    .option('--slowest <n>', 'how many of the slowest events to list', '10')
    .addHelpText('after', '\nExamples:\n  sway run sway.yaml --trace run.trace.jsonl\n  sway trace run.trace.jsonl\n\nExit codes: 0 printed, 2 unreadable or malformed trace.')
    .action((path: string, flags: { slowest: string }) => {
      const n = Number(flags.slowest);
      if (!Number.isInteger(n) || n < 0) throw new SwayError(`--slowest must be a whole number ≥ 0, got ${JSON.stringify(flags.slowest)}`, 'SWAY_INPUT', 2);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        throw new SwayError(`${path}: cannot read the trace (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'SWAY_INPUT', 2);
      }
      process.stdout.write(summariseTrace(parseTrace(text, path), n));
    });
}
