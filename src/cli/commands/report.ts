import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SwayError, UsageError } from '../../core/errors.js';
import { toHtml } from '../../report/html.js';
import { fromJson, toJson } from '../../report/json.js';
import { toJunit } from '../../report/junit.js';
import { toMarkdown } from '../../report/markdown.js';
import { toTerminal } from '../../report/terminal.js';
import { writeFileAtomic } from '../shared/files.js';
import { colorEnabled } from '../shared/render.js';

const FORMATS = ['terminal', 'md', 'markdown', 'junit', 'html', 'json'] as const;

/** Reads a report.json written by `sway run --json`. */
export function readReportFile(path: string): ReturnType<typeof fromJson> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SwayError(
      code === 'ENOENT' ? `report file not found: ${path}` : `cannot read report ${path}: ${(err as Error).message}`,
      'SWAY_INPUT',
      2,
    );
  }
  return fromJson(text, path);
}

/** `sway report RESULT.json`: re-render a saved report in another format. */
export function register(program: Command): void {
  program
    .command('report')
    .description('re-render a saved JSON report (from sway run --json) as terminal, Markdown, JUnit, HTML or JSON')
    .argument('<result>', 'report.json written by sway run --json')
    .option('-f, --format <fmt>', `output format: ${FORMATS.join(', ')}`, 'terminal')
    .option('-o, --out <file>', 'write to a file instead of stdout (required for html)')
    .option('--no-color', 'plain terminal output (also: NO_COLOR=1)')
    .addHelpText(
      'after',
      `
Examples:
  sway report report.json
  sway report report.json --format md -o report.md
  sway report report.json --format html -o report.html`,
    )
    .action((path: string, flags: { format: string; out?: string; color?: boolean }) => {
      const fmt = flags.format;
      if (!(FORMATS as readonly string[]).includes(fmt)) {
        throw new UsageError(`--format: '${fmt}' is not one of ${FORMATS.join(', ')}`);
      }
      if (fmt === 'html' && !flags.out) throw new UsageError('--format html needs --out FILE (the report is a standalone file)');
      const { suite, score } = readReportFile(path);
      const text =
        fmt === 'terminal'
          ? toTerminal(suite, score, { color: flags.out ? false : colorEnabled(flags.color === false) })
          : fmt === 'md' || fmt === 'markdown'
            ? toMarkdown(suite, score)
            : fmt === 'junit'
              ? toJunit(suite, score)
              : fmt === 'html'
                ? toHtml(suite, score)
                : toJson(suite, score);
      if (flags.out) {
        writeFileAtomic(flags.out, text);
        process.stdout.write(`wrote ${fmt} \u2192 ${flags.out}\n`);
      } else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    });
}
