import { basename } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { isoformatPy } from '../../report/json.js';
import { compareToJson, compareToMarkdown, compareToTerminal } from '../../report/compare.js';
import { buildMatrix, DEFAULT_REGRESSION_THRESHOLD, latestRegressions } from '../../suite/compare.js';
import { writeFileAtomic } from '../shared/files.js';
import { colorEnabled } from '../shared/render.js';
import { setExitCode } from '../main.js';
import { readReportFile } from './report.js';

function parseNonNeg(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${flag}: expected a non-negative number, got '${v}'`);
  return n;
}

/** `sway compare RUN1.json RUN2.json ...`: score history across runs, regressions vs the previous run. */
export function register(program: Command): void {
  program
    .command('compare')
    .description('compare saved JSON reports in chronological order: per-probe scores, deltas and regressions')
    .argument('<runs...>', 'report.json files, oldest first (labels are the file names without .json)')
    .option('-f, --format <fmt>', 'terminal, md (markdown) or json', 'terminal')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .option('--threshold <x>', 'drop that counts as a regression', String(DEFAULT_REGRESSION_THRESHOLD))
    .option('--fail-on-regression <x>', 'exit 1 when any probe dropped by at least x in the latest run (0 = off)', '0')
    .option('--no-color', 'plain terminal output')
    .addHelpText(
      'after',
      `
Examples:
  sway compare runs/v1.json runs/v2.json runs/v3.json
  sway compare runs/*.json --format md -o history.md --fail-on-regression 0.1`,
    )
    .action(function (this: Command, paths: string[], flags: { format: string; out?: string; threshold: string; failOnRegression: string; color?: boolean }) {
      if (!['terminal', 'md', 'markdown', 'json'].includes(flags.format)) {
        throw new UsageError(`--format: '${flags.format}' is not one of terminal, md, markdown, json`);
      }
      const threshold = parseNonNeg('--threshold', flags.threshold);
      const failAt = parseNonNeg('--fail-on-regression', flags.failOnRegression);
      const runs = paths.map((p) => readReportFile(p));
      const labels = paths.map((p) => basename(p).replace(/\.json$/i, ''));
      const m = buildMatrix(runs, labels, isoformatPy);
      const regs = latestRegressions(m, threshold);
      const text =
        flags.format === 'json'
          ? `${compareToJson(m, regs, threshold)}\n`
          : flags.format === 'terminal'
            ? compareToTerminal(m, regs, threshold, !flags.out && colorEnabled(flags.color === false))
            : compareToMarkdown(m, regs, threshold);
      if (flags.out) writeFileAtomic(flags.out, text);
      else process.stdout.write(text);
      if (failAt > 0 && latestRegressions(m, failAt).length > 0) setExitCode(this, 1);
    });
}
