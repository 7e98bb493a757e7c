/** The result of `sway diff`: per-probe score changes from adapter A to adapter B, and whether they regress too far. */
import type { SuiteResult, SwayScore } from '../../core/results.js';
import { fixed, signedFixed } from '../fixed.js';

export interface DiffRow {
  name: string;
  a: number | null;
  b: number | null;
  delta: number | null;
}

export interface AdapterDiff {
  adapters: { a: string; b: string };
  overall: { a: number; b: number; delta: number };
  probes: DiffRow[];
  regressed_over_0_10: number;
  regressed_over_0_20: number;
  fail_on_regression: number;
  failed: boolean;
  reasons: string[];
}

interface Run {
  suite: SuiteResult;
  score: SwayScore;
}

export function adapterDiff(a: Run, b: Run, adapters: { a: string; b: string }, failOnRegression: number): AdapterDiff {
  const scores = (r: Run) => new Map(r.suite.probes.map((p) => [p.name, p.score ?? null]));
  const sa = scores(a);
  const sb = scores(b);
  const probes: DiffRow[] = [...new Set([...sa.keys(), ...sb.keys()])].sort().map((name) => {
    const x = sa.get(name) ?? null;
    const y = sb.get(name) ?? null;
    return { name, a: x, b: y, delta: x !== null && y !== null ? y - x : null };
  });
  const delta = b.score.overall - a.score.overall;
  const reasons: string[] = [];
  if (failOnRegression > 0) {
    const fell = probes.filter((p) => p.delta !== null && -p.delta > failOnRegression).map((p) => p.name);
    if (fell.length) reasons.push(`probe(s) fell by more than ${failOnRegression}: ${fell.join(', ')}`);
    if (-delta > failOnRegression) reasons.push(`composite fell by ${(-delta).toFixed(2)}`);
  }
  return {
    adapters,
    overall: { a: a.score.overall, b: b.score.overall, delta },
    probes,
    regressed_over_0_10: probes.filter((p) => p.delta !== null && p.delta < -0.1).length,
    regressed_over_0_20: probes.filter((p) => p.delta !== null && p.delta < -0.2).length,
    fail_on_regression: failOnRegression,
    failed: reasons.length > 0,
    reasons,
  };
}

const fmt = (x: number | null) => (x === null ? ' n/a' : fixed(x, 2));
const signed = (x: number) => signedFixed(x, 2);

export function renderAdapterDiff(d: AdapterDiff): string {
  const lines = [`overall  A: ${fixed(d.overall.a, 2)}   B: ${fixed(d.overall.b, 2)}`, '', 'per-probe (A → B, Δ):'];
  for (const p of d.probes) lines.push(`  ${p.name.padEnd(30)}  ${fmt(p.a)}  →  ${fmt(p.b)}   (${p.delta === null ? 'n/a' : signed(p.delta)})`);
  lines.push('', `A→B: ${d.regressed_over_0_10} probe(s) regressed >0.10, ${d.regressed_over_0_20} regressed >0.20, composite Δ=${signed(d.overall.delta)}`);
  if (d.failed) lines.push(`diff: FAIL — ${d.reasons.join('; ')}`);
  return `${lines.join('\n')}\n`;
}
