/** The one-line verdict banner of `sway check` and `sway demo` (core-suite §5.5). */
import pc from 'picocolors';
import type { SuiteResult, SwayScore } from '../../core/results.js';
import { toFixedPy } from '../../report/format.js';

export function verdictBanner(suite: SuiteResult, score: SwayScore, color: boolean): string {
  const c = pc.createColors(color);
  const dk = suite.probes.find((p) => p.kind === 'delta_kl' && typeof p.z_score === 'number' && Number.isFinite(p.z_score));
  if (dk && typeof dk.z_score === 'number') {
    const sigma = `${toFixedPy(dk.z_score, 1)}\u03c3`;
    if (dk.z_score >= 3) return c.bold(c.green(`\u2705 adapter is ${sigma} above noise`));
    if (dk.z_score >= 1) return c.bold(c.yellow(`\u26a0\ufe0f adapter is ${sigma} above noise \u2014 marginal`));
    return c.bold(c.red(`\u274c adapter is ${sigma} \u2014 indistinguishable from a null adapter`));
  }
  const o = toFixedPy(score.overall, 2);
  if (score.overall >= 0.6) return c.bold(c.green(`\u2705 adapter scored ${o} \u2014 looks healthy`));
  if (score.overall >= 0.3) return c.bold(c.yellow(`\u26a0\ufe0f adapter scored ${o} \u2014 partial fit`));
  return c.bold(c.red(`\u274c adapter scored ${o} \u2014 noise band`));
}
