import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import type { SuiteResult, SwayScore } from '../../core/results.js';
import { toFixedPy } from '../../report/format.js';
import { runPipeline } from '../shared/execute.js';
import { colorEnabled, printTerminal, writeReports } from '../shared/render.js';
import { setExitCode } from '../main.js';

export interface GateOutcome {
  passed: boolean;
  line: string;
}

/**
 * Gate decision: fails below the threshold, on any FAIL and — unlike the reference,
 * which ignores them — on any ERROR probe (a probe that could not run proves nothing).
 */
export function gateOutcome(suite: SuiteResult, score: SwayScore, threshold: number): GateOutcome {
  const o = toFixedPy(score.overall, 2);
  if (score.overall < threshold) return { passed: false, line: `gate FAILED \u2014 overall=${o} < ${toFixedPy(threshold, 2)}` };
  const errored = suite.probes.filter((p) => p.verdict === 'error');
  if (suite.probes.some((p) => p.verdict === 'fail')) return { passed: false, line: 'gate FAILED \u2014 at least one probe reported FAIL' };
  if (errored.length) {
    return { passed: false, line: `gate FAILED \u2014 ${errored.length} probe(s) reported ERROR: ${errored.map((p) => p.name).join(', ')}` };
  }
  return { passed: true, line: `gate passed \u2014 overall=${o}` };
}

function parseThreshold(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(`--threshold: expected a number in [0, 1], got '${v}'`);
  }
  return n;
}

/** `sway gate SPEC`: run and exit 1 when the adapter does not clear the bar. */
export function register(program: Command): void {
  program
    .command('gate')
    .description('run a suite and exit 1 if the composite is below the threshold or any probe FAILs or ERRORs (for CI)')
    .argument('<spec>', 'path to sway.yaml')
    .option('--threshold <x>', 'minimum composite score in [0, 1] (default: defaults.coverage_threshold, 0.6)')
    .option('--junit <file>', 'also write a JUnit XML report')
    .option('-j, --json <file>', 'also write the JSON report')
    .option('--weights <pairs>', 'category weights, e.g. "attribution=0.5,adherence=0.2"')
    .option('-q, --quiet', 'no progress output on stderr')
    .option('--no-color', 'plain output (also: NO_COLOR=1)')
    .addHelpText(
      'after',
      `
Exit codes: 0 gate passed, 1 gate failed (below threshold, a FAIL or an ERROR probe), 2 bad spec or arguments.

Examples:
  sway gate sway.yaml
  sway gate sway.yaml --threshold 0.7 --junit sway-junit.xml`,
    )
    .action(async function (this: Command, specPath: string, flags: { threshold?: string; junit?: string; json?: string; weights?: string; quiet?: boolean; color?: boolean }) {
      const threshold = flags.threshold !== undefined ? parseThreshold(flags.threshold) : undefined;
      const { spec, suite, score } = await runPipeline(specPath, { ...(flags.weights !== undefined ? { weights: flags.weights } : {}), quiet: !!flags.quiet });
      printTerminal(suite, score, colorEnabled(flags.color === false));
      writeReports(suite, score, { ...(flags.junit ? { junit: flags.junit } : {}), ...(flags.json ? { json: flags.json } : {}) });
      const outcome = gateOutcome(suite, score, threshold ?? spec.defaults.coverage_threshold);
      process.stdout.write(`${outcome.passed ? '' : '\n'}${outcome.line}\n`);
      setExitCode(this, outcome.passed ? 0 : 1);
    });
}
