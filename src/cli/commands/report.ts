import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { SwayError, UsageError } from '../../core/errors.js';
import { toHtml } from '../../report/html.js';
import { fromJson, toJson } from '../../report/json.js';
import { toJunit } from '../../report/junit.js';
import { toMarkdown } from '../../report/markdown.js';
import { toTerminal } from '../../report/terminal.js';
import { useColor } from '../progress.js';

const FORMATS = ['terminal', 'md', 'markdown', 'junit', 'html', 'json'] as const;

/** `sway report RESULT.json`: re-render a saved JSON report in another format. */
export function register(program: Command): void {
  program
    .command('report')
    .description('re-render a saved JSON report (terminal, Markdown, JUnit, HTML or JSON)')
    .argument('<result>', 'a report written by `sway run --json`')
    .option('--format <f>', `one of ${FORMATS.join(', ')}`, 'terminal')
    .option('-o, --out <file>', 'write to a file (required for html; - for stdout)')
    .option('--no-color', 'plain text output')
    .action((path: string, flags: { format: string; out?: string; color?: boolean }) => {
      if (!(FORMATS as readonly string[]).includes(flags.format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
      if (flags.format === 'html' && !flags.out) throw new UsageError('--format html needs --out FILE');
      let parsed;
      try {
        parsed = fromJson(readFileSync(path, 'utf8'));
      } catch (err) {
        throw new SwayError(`${path}: not a sway JSON report (${(err as Error).message})`, 'SWAY_INPUT', 2);
      }
      const { suite, score } = parsed;
      const text =
        flags.format === 'terminal'
          ? toTerminal(suite, score, { color: !flags.out && useColor(flags.color) })
          : flags.format === 'junit'
            ? toJunit(suite, score)
            : flags.format === 'html'
              ? toHtml(suite, score)
              : flags.format === 'json'
                ? toJson(suite, score)
                : toMarkdown(suite, score);
      if (flags.out && flags.out !== '-') writeFileAtomic(flags.out, text);
      else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    });
}
