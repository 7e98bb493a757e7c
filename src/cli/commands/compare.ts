import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { SwayError, UsageError } from '../../core/errors.js';
import { fromJson } from '../../report/json.js';
import { compareJson, compareMarkdown, buildMatrix, DEFAULT_REGRESSION_THRESHOLD, latestRegressions } from '../../suite/compare.js';
import { setExitCode } from '../main.js';

/** `sway compare RUN...`: score history across saved reports, oldest first. */
export function register(program: Command): void {
  program
    .command('compare')
    .description('compare saved JSON reports (oldest first): per-probe scores, deltas and regressions')
    .argument('<runs...>', 'two or more reports written by `sway run --json`')
    .option('--format <f>', 'md | markdown | json (terminal prints Markdown)', 'terminal')
    .option('--fail-on-regression <drop>', 'exit 1 when a probe dropped by at least this much vs the previous run (0 = off)', '0')
    .addHelpText('after', '\nExample:\n  sway compare runs/v1.json runs/v2.json runs/v3.json --fail-on-regression 0.1')
    .action((files: string[], flags: { format: string; failOnRegression: string }, cmd: Command) => {
      if (files.length < 2) throw new UsageError('sway compare: need at least two result JSONs');
      if (!['terminal', 'md', 'markdown', 'json'].includes(flags.format)) throw new UsageError('--format must be terminal, md, markdown or json');
      const fail = Number(flags.failOnRegression);
      if (!Number.isFinite(fail) || fail < 0) throw new UsageError(`--fail-on-regression must be a number >= 0, got '${flags.failOnRegression}'`);
      const runs = files.map((f) => {
        try {
          return fromJson(readFileSync(f, 'utf8'));
        } catch (err) {
          throw new SwayError(`sway compare: cannot read ${f}: ${(err as Error).message}`, 'SWAY_INPUT', 2);
        }
      });
      const m = buildMatrix(runs, files.map((f) => basename(f).replace(/\.json$/, '')));
      const threshold = fail > 0 ? fail : DEFAULT_REGRESSION_THRESHOLD;
      process.stdout.write(flags.format === 'json' ? `${compareJson(m, threshold)}\n` : compareMarkdown(m, threshold));
      setExitCode(cmd, fail > 0 && latestRegressions(m, fail).length > 0 ? 1 : 0);
    });
}
