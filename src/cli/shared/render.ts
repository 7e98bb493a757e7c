/** Shared output of run/gate/report: terminal report on stdout plus optional report files. */
import type { SuiteResult, SwayScore } from '../../core/results.js';
import { toHtml } from '../../report/html.js';
import { toJson } from '../../report/json.js';
import { toJunit } from '../../report/junit.js';
import { toMarkdown } from '../../report/markdown.js';
import { shouldColor, toTerminal } from '../../report/terminal.js';
import { writeFileAtomic } from './files.js';

export interface ReportFiles {
  json?: string;
  markdown?: string;
  junit?: string;
  html?: string;
}

export function colorEnabled(noColorFlag: boolean | undefined): boolean {
  return noColorFlag ? false : shouldColor(process.stdout);
}

export function printTerminal(suite: SuiteResult, score: SwayScore, color: boolean): void {
  process.stdout.write(toTerminal(suite, score, { color, width: process.stdout.isTTY ? process.stdout.columns ?? 0 : 0 }));
}

export function writeReports(suite: SuiteResult, score: SwayScore, files: ReportFiles): void {
  const out: [string | undefined, () => string, string][] = [
    [files.json, () => toJson(suite, score), 'JSON'],
    [files.markdown, () => toMarkdown(suite, score), 'markdown'],
    [files.junit, () => toJunit(suite, score), 'JUnit'],
    [files.html, () => toHtml(suite, score), 'HTML'],
  ];
  for (const [path, render, label] of out) {
    if (!path) continue;
    writeFileAtomic(path, render());
    process.stdout.write(`\nwrote ${label} \u2192 ${path}\n`);
  }
}
