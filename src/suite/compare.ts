/** Multi-run history: per-probe scores across runs, deltas and regressions. */
import { UsageError } from '../core/errors.js';
import type { SuiteResult, SwayScore } from '../core/results.js';
import { pyIsoformat } from '../report/json.js';

export const DEFAULT_REGRESSION_THRESHOLD = 0.1;

export interface CompareMatrix {
  labels: string[];
  timestamps: string[];
  probeNames: string[];
  scores: Record<string, (number | null)[]>;
  deltas: Record<string, (number | null)[]>;
  composite: (number | null)[];
}

const finite = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function buildMatrix(runs: readonly { suite: SuiteResult; score: SwayScore }[], labels?: readonly string[]): CompareMatrix {
  if (runs.length === 0) throw new UsageError('sway compare needs at least one run');
  if (labels && labels.length !== runs.length) throw new UsageError(`sway compare: ${labels.length} labels for ${runs.length} runs; give one label per run`);
  const perRun = runs.map((r) => {
    const m = new Map<string, number | null>();
    for (const p of r.suite.probes) m.set(p.name, finite(p.score));
    return m;
  });
  const probeNames = [...new Set(perRun.flatMap((m) => [...m.keys()]))].sort();
  const scores: CompareMatrix['scores'] = {};
  const deltas: CompareMatrix['deltas'] = {};
  for (const name of probeNames) {
    const row = perRun.map((m) => m.get(name) ?? null);
    scores[name] = row;
    deltas[name] = row.slice(1).map((v, i) => (v === null || row[i] === null ? null : finite(v - (row[i] as number))));
  }
  return {
    labels: labels ? [...labels] : runs.map((r) => pyIsoformat(r.suite.finished_at)),
    timestamps: runs.map((r) => pyIsoformat(r.suite.finished_at)),
    probeNames,
    scores,
    deltas,
    composite: runs.map((r) => finite(r.score.overall)),
  };
}

export function latestRegressions(m: CompareMatrix, threshold: number): { probe: string; delta: number }[] {
  if (m.labels.length < 2 || threshold <= 0) return [];
  return m.probeNames
    .map((probe) => ({ probe, delta: m.deltas[probe]![m.labels.length - 2] ?? null }))
    .filter((r): r is { probe: string; delta: number } => r.delta !== null && r.delta <= -threshold)
    .sort((a, b) => a.delta - b.delta);
}

const cell = (v: number | null) => (v === null ? '—' : v.toFixed(2));
const dcell = (v: number | null) => (v === null ? '—' : Math.abs(v) < 5e-5 ? '0.00' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}`);

export function compareMarkdown(m: CompareMatrix, threshold = DEFAULT_REGRESSION_THRESHOLD): string {
  const L = [`# sway compare — ${m.labels.length} runs`, '', '## Runs', '', '| label | finished_at |', '|---|---|'];
  m.labels.forEach((l, i) => L.push(`| ${l} | ${m.timestamps[i] || '—'} |`));
  const pairs = m.labels.slice(1).map((l, i) => `Δ ${m.labels[i]}→${l}`);
  L.push('', '## Scores', '', `| probe | ${[...m.labels, ...pairs].join(' | ')} |`, `|${'---|'.repeat(1 + m.labels.length + pairs.length)}`);
  for (const n of m.probeNames) L.push(`| ${n} | ${[...m.scores[n]!.map(cell), ...m.deltas[n]!.map(dcell)].join(' | ')} |`);
  const compDeltas = m.composite.slice(1).map((v, i) => (v === null || m.composite[i] === null ? null : v - (m.composite[i] as number)));
  L.push(`| **composite** | ${[...m.composite.map(cell), ...compDeltas.map(dcell)].join(' | ')} |`);
  const regs = latestRegressions(m, threshold);
  if (regs.length) {
    L.push('', `## Regressions (≥${threshold.toFixed(2)} drop vs previous run)`, '');
    for (const r of regs) L.push(`- **${r.probe}** — \`${r.delta >= 0 ? '+' : ''}${r.delta.toFixed(3)}\``);
  }
  return `${L.join('\n')}\n`;
}

export function compareJson(m: CompareMatrix, threshold: number): string {
  return JSON.stringify(
    {
      labels: m.labels,
      timestamps: m.timestamps,
      probe_names: m.probeNames,
      scores: m.scores,
      deltas: m.deltas,
      composite_series: m.composite,
      regression_threshold: threshold,
      latest_regressions: latestRegressions(m, threshold),
    },
    null,
    2,
  );
}
