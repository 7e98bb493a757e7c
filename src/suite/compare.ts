/** Multi-run history (core-suite §6.7): scores per probe across runs, deltas, regressions. */
import type { SuiteResult, SwayScore } from '../core/results.js';
import { SwayError } from '../core/errors.js';
import type { CompareMatrix } from '../report/compare.js';

export const DEFAULT_REGRESSION_THRESHOLD = 0.1;

export type { CompareMatrix };

const fin = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function buildMatrix(runs: { suite: SuiteResult; score: SwayScore }[], labels?: string[], iso: (d: Date) => string = (d) => d.toISOString()): CompareMatrix {
  if (runs.length === 0) throw new SwayError('build_matrix requires at least one run', 'SWAY_INPUT', 2);
  if (labels && labels.length !== runs.length) throw new SwayError(`labels length ${labels.length} != results length ${runs.length}`, 'SWAY_INPUT', 2);
  const timestamps = runs.map((r) => iso(r.suite.finished_at));
  const perRun = runs.map((r) => {
    const m = new Map<string, number | null>();
    for (const p of r.suite.probes) m.set(p.name, fin(p.score));
    return m;
  });
  const names = [...new Set(perRun.flatMap((m) => [...m.keys()]))].sort();
  const scores: Record<string, (number | null)[]> = {};
  const deltas: Record<string, (number | null)[]> = {};
  for (const n of names) {
    const s = perRun.map((m) => (m.has(n) ? (m.get(n) ?? null) : null));
    scores[n] = s;
    deltas[n] = s.slice(1).map((v, i) => {
      const prev = s[i];
      return v === null || v === undefined || prev === null || prev === undefined ? null : fin(v - prev);
    });
  }
  return {
    labels: labels ?? timestamps,
    timestamps,
    probe_names: names,
    scores,
    deltas,
    composite_series: runs.map((r) => fin(r.score.overall)),
  };
}

export function latestRegressions(m: CompareMatrix, threshold: number): { probe: string; delta: number }[] {
  if (m.labels.length < 2 || threshold <= 0) return [];
  const out: { probe: string; delta: number }[] = [];
  for (const n of m.probe_names) {
    const d = m.deltas[n]?.at(-1);
    if (typeof d === 'number' && d <= -threshold) out.push({ probe: n, delta: d });
  }
  return out.sort((a, b) => a.delta - b.delta);
}
