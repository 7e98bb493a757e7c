/**
 * Terminal report (core-suite §6.2): header panel, overall + band, category bars, probe
 * table, findings, roll-ups and a footer. Colours via picocolors; `color: false` (NO_COLOR,
 * --no-color, non-TTY) gives plain text that the golden test pins.
 */
import pc from 'picocolors';
import type { SuiteResult, SwayScore, Verdict } from '../core/results.js';
import { orderedCategories } from './categories.js';
import { adapterLabel, decorateMessage, formatCi, formatDuration, formatRaw, formatScore, formatZ } from './format.js';
import { wallSeconds } from './json.js';
import { cacheLine, collectDegenerateNullKinds, collectMissingExtras, collectNullOptOuts, skippedCount } from './rollups.js';

export interface TerminalOptions {
  color?: boolean;
  /** Wrap the note column to fit this width; 0 = no wrapping. */
  width?: number;
}

type Colors = ReturnType<typeof pc.createColors>;

/** Whether to colour stdout: NO_COLOR wins, then FORCE_COLOR, then TTY. */
export function shouldColor(stream: { isTTY?: boolean } = process.stdout, env = process.env): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['FORCE_COLOR'] !== undefined) return env['FORCE_COLOR'] !== '0';
  return !!stream.isTTY && env['TERM'] !== 'dumb';
}

/** Visible width (code points; ANSI escapes ignored). */
function vlen(s: string): number {
  // eslint-disable-next-line no-control-regex
  return [...s.replace(/\u001b\[[0-9;]*m/g, '')].length;
}

function pad(s: string, w: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, w - vlen(s)));
  return right ? fill + s : s + fill;
}

function wrap(text: string, width: number): string[] {
  if (width <= 0 || vlen(text) <= width) return [text];
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && vlen(line) + 1 + vlen(word) > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

function verdictStyle(c: Colors, v: Verdict): (s: string) => string {
  switch (v) {
    case 'pass':
      return (s) => c.bold(c.green(s));
    case 'fail':
      return (s) => c.bold(c.red(s));
    case 'warn':
      return (s) => c.bold(c.yellow(s));
    case 'skip':
      return c.dim;
    default:
      return (s) => c.bold(c.magenta(s));
  }
}

function bandStyle(c: Colors, band: string): (s: string) => string {
  return band === 'noise' ? c.red : band === 'partial' ? c.yellow : band === 'healthy' ? c.green : band === 'suspicious' ? c.magenta : c.white;
}

export function scoreStyle(c: Colors, v: number): (s: string) => string {
  return v >= 0.6 ? c.green : v >= 0.3 ? c.yellow : c.red;
}

export function toTerminal(suite: SuiteResult, score: SwayScore, options: TerminalOptions = {}): string {
  const c = pc.createColors(options.color ?? false);
  const L: string[] = [];
  const title = `${c.bold('sway report \u2014 ')}${c.cyan(suite.base_model_id)}${c.dim('  vs  ')}${c.cyan(adapterLabel(suite.adapter_id))}`;
  const inner = vlen(title);
  L.push(c.blue(`\u256d${'\u2500'.repeat(inner + 2)}\u256e`));
  L.push(`${c.blue('\u2502')} ${title} ${c.blue('\u2502')}`);
  L.push(c.blue(`\u2570${'\u2500'.repeat(inner + 2)}\u256f`));
  L.push('');
  L.push(`${c.bold('overall: ')}${scoreStyle(c, score.overall)(formatScore(score.overall))}  ${bandStyle(c, score.band)(`[ ${score.band} ]`)}`);

  const comps = score.components as Record<string, number>;
  const cats = orderedCategories(comps);
  const catW = Math.max(0, ...cats.map((x) => x.length));
  for (const cat of cats) {
    const v = comps[cat] ?? 0;
    const filled = Math.round(Math.min(Math.max(Number.isFinite(v) ? v : 0, 0), 1) * 10);
    const bar = '\u2588'.repeat(filled) + '\u2591'.repeat(10 - filled);
    const w = (score.weights as Record<string, number>)[cat] ?? 0;
    const label = w === 0 ? c.dim('(informational, weight=0)') : '';
    L.push(`${pad(cat, catW, false)}  ${pad(formatScore(v), 4, true)}  ${bar}${label ? `  ${label}` : ''}`.trimEnd());
  }

  L.push('');
  const header = ['name', 'kind', 'verdict', 'score', 'raw', 'ci95', 'z', 'note'];
  const rows = suite.probes.map((p) => [
    p.name,
    p.kind,
    p.verdict,
    formatScore(p.score),
    formatRaw(p.raw),
    formatCi(p.ci_95),
    formatZ(p.z_score),
    decorateMessage(p.message, p.evidence).replace(/\r?\n/g, ' '),
  ]);
  const widths = header.slice(0, 7).map((h, i) => Math.max(vlen(h), ...rows.map((r) => vlen(r[i] ?? ''))));
  const rightCols = new Set([3, 4, 5, 6]);
  const prefixWidth = widths.reduce((a, b) => a + b + 2, 0);
  const noteWidth = options.width ? Math.max(20, options.width - prefixWidth) : 0;
  L.push(
    [...header.slice(0, 7).map((h, i) => c.bold(pad(h, widths[i] ?? 0, rightCols.has(i)))), c.bold('note')].join('  '),
  );
  suite.probes.forEach((p, ri) => {
    const r = rows[ri] ?? [];
    const styles = [c.cyan, c.dim, verdictStyle(c, p.verdict), (s: string) => s, (s: string) => s, c.dim, (s: string) => s];
    const cells = r.slice(0, 7).map((v, i) => (styles[i] ?? ((s: string) => s))(pad(v, widths[i] ?? 0, rightCols.has(i))));
    const notes = wrap(r[7] ?? '', noteWidth);
    L.push(`${cells.join('  ')}  ${c.dim(notes[0] ?? '')}`.trimEnd());
    for (const extra of notes.slice(1)) L.push(`${' '.repeat(prefixWidth)}${c.dim(extra)}`);
  });

  if (score.findings.length) {
    L.push('', c.bold('top findings:'));
    score.findings.forEach((f, i) => L.push(`  ${i + 1}. ${f}`));
  }
  const extras = collectMissingExtras(suite);
  if (extras.length) {
    L.push('', c.dim(`${skippedCount(suite)} probe(s) skipped due to missing extras: pip install 'dlm-sway[${extras.join(',')}]'`));
  }
  const optOuts = collectNullOptOuts(suite);
  if (optOuts.length) {
    L.push('', c.dim(`${optOuts.length} probe(s) opted out of null calibration (using fixed thresholds): ${optOuts.join(', ')}`));
  }
  const degenerate = collectDegenerateNullKinds(suite);
  if (degenerate.length) {
    L.push(
      '',
      c.dim(
        `${degenerate.length} probe kind(s) had a degenerate null baseline (std \u2248 0, insufficient for z-scoring): ${degenerate.join(', ')} \u2014 bump \`runs:\` in null_adapter spec.`,
      ),
    );
  }
  const footer = [`wall: ${formatDuration(wallSeconds(suite))}`, `sway ${suite.sway_version}`];
  if (suite.determinism) footer.push(`det: ${suite.determinism.class} (seed=${suite.determinism.seed})`);
  const cache = cacheLine(suite.backend_stats);
  if (cache) footer.push(cache);
  L.push('', c.dim(footer.join('  |  ')));
  return `${L.join('\n')}\n`;
}
