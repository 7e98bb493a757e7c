/** Renderers of a multi-run comparison (core-suite §6.7): terminal, Markdown, JSON. */
import pc from 'picocolors';
import { toFixedPy } from './format.js';

export interface CompareMatrix {
  labels: string[];
  timestamps: string[];
  probe_names: string[];
  scores: Record<string, (number | null)[]>;
  deltas: Record<string, (number | null)[]>;
  composite_series: (number | null)[];
}

export interface Regression {
  probe: string;
  delta: number;
}

const D = '\u2014';
const cellScore = (v: number | null | undefined): string => (typeof v === 'number' ? toFixedPy(v, 2) : D);
function cellDelta(d: number | null | undefined): string {
  if (typeof d !== 'number' || !Number.isFinite(d)) return D;
  if (Math.abs(d) < 5e-5) return '0.00';
  return `${d >= 0 ? '+' : ''}${toFixedPy(d, 2)}`;
}
const sign3 = (d: number): string => `${d >= 0 ? '+' : ''}${toFixedPy(d, 3)}`;

function compositeDeltas(m: CompareMatrix): (number | null)[] {
  return m.composite_series.slice(1).map((v, i) => {
    const p = m.composite_series[i];
    return v === null || p === null || p === undefined ? null : v - p;
  });
}

export function compareToMarkdown(m: CompareMatrix, regressions: Regression[], threshold: number): string {
  const pairs = m.labels.slice(1).map((l, i) => `\u0394 ${m.labels[i]}\u2192${l}`);
  const L = [`# sway compare \u2014 ${m.labels.length} runs`, '', '## Runs', '', '| label | finished_at |', '|---|---|'];
  m.labels.forEach((l, i) => L.push(`| ${l} | ${m.timestamps[i] || D} |`));
  const head = ['probe', ...m.labels, ...pairs];
  L.push('', '## Scores', '', `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const n of m.probe_names) {
    L.push(`| ${n} | ${[...(m.scores[n] ?? []).map(cellScore), ...(m.deltas[n] ?? []).map(cellDelta)].join(' | ')} |`);
  }
  L.push(`| **composite** | ${[...m.composite_series.map(cellScore), ...compositeDeltas(m).map(cellDelta)].join(' | ')} |`);
  if (regressions.length) {
    L.push('', `## Regressions (\u2265${toFixedPy(threshold, 2)} drop vs previous run)`, '');
    for (const r of regressions) L.push(`- **${r.probe}** \u2014 \`${sign3(r.delta)}\``);
  }
  return `${L.join('\n')}\n`;
}

export function compareToJson(m: CompareMatrix, regressions: Regression[], threshold: number): string {
  return JSON.stringify(
    {
      labels: m.labels,
      timestamps: m.timestamps,
      probe_names: m.probe_names,
      scores: m.scores,
      deltas: m.deltas,
      composite_series: m.composite_series,
      regression_threshold: threshold,
      latest_regressions: regressions,
    },
    null,
    2,
  );
}

export function compareToTerminal(m: CompareMatrix, regressions: Regression[], threshold: number, color = false): string {
  const c = pc.createColors(color);
  const pairs = m.labels.slice(1).map((l, i) => `\u0394 ${m.labels[i]}\u2192${l}`);
  const head = ['probe', ...m.labels, ...pairs];
  const style = (d: number | null | undefined): ((s: string) => string) =>
    typeof d === 'number' && d <= -threshold ? (s) => c.bold(c.red(s)) : typeof d === 'number' && d >= threshold ? (s) => c.bold(c.green(s)) : c.dim;
  const rows: { cells: string[]; styles: ((s: string) => string)[] }[] = m.probe_names.map((n) => ({
    cells: [n, ...(m.scores[n] ?? []).map(cellScore), ...(m.deltas[n] ?? []).map(cellDelta)],
    styles: [c.cyan, ...(m.scores[n] ?? []).map(() => (s: string) => s), ...(m.deltas[n] ?? []).map(style)],
  }));
  const cd = compositeDeltas(m);
  rows.push({
    cells: ['composite (overall)', ...m.composite_series.map(cellScore), ...cd.map(cellDelta)],
    styles: [c.bold, ...m.composite_series.map(() => c.bold), ...cd.map(style)],
  });
  const widths = head.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r.cells[i] ?? '')].length)));
  const fmt = (cells: string[], styles?: ((s: string) => string)[]): string =>
    cells
      .map((v, i) => {
        const padded = i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0);
        return styles?.[i] ? styles[i](padded) : padded;
      })
      .join('  ')
      .trimEnd();
  const L = [c.bold(`sway compare \u2014 ${m.labels.length} runs`), '', c.bold(fmt(head)), ...rows.map((r) => fmt(r.cells, r.styles))];
  if (regressions.length) {
    L.push('', c.bold(c.red(`regressions (\u2265${toFixedPy(threshold, 2)} drop vs previous run):`)));
    for (const r of regressions) L.push(`  ${r.probe}: ${sign3(r.delta)}`);
  }
  return `${L.join('\n')}\n`;
}
