/** The terminal report: header, category bars, probe table, findings, footer. */
import pc from 'picocolors';
import type { SuiteResult, SwayScore, Verdict } from '../core/results.js';
import { adapterLabel, cacheLine, decoratedMessage, degenerateNulls, formatCi, formatDuration, formatRaw, formatScore, formatZ, nullFamily, nullOptOuts, skippedRollup, wallSeconds } from './format.js';
import { categoryLabel, categoryScore, orderedCategories } from './text-rollups.js';

export interface TerminalOptions {
  color?: boolean;
  /**
   * Columns to fit the probe table into (the note column wraps). Default: the terminal's
   * width when stdout is a terminal, else no limit (pipes and files get one line per probe).
   */
  width?: number | null;
}

/** Greedy word wrap of plain text to `width` columns (a word longer than the width is cut). */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(8, Math.floor(width));
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let rest = word;
    while (rest.length > w) {
      if (line) {
        lines.push(line);
        line = '';
      }
      lines.push(rest.slice(0, w));
      rest = rest.slice(w);
    }
    if (!line) line = rest;
    else if (line.length + 1 + rest.length <= w) line += ` ${rest}`;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line || !lines.length) lines.push(line);
  return lines;
}

function defaultWidth(): number | null {
  return process.stdout.isTTY && typeof process.stdout.columns === 'number' && process.stdout.columns > 0 ? process.stdout.columns : null;
}

type Colors = ReturnType<typeof pc.createColors>;

function verdictText(c: Colors, v: Verdict): string {
  const map: Record<Verdict, (s: string) => string> = {
    pass: (s) => c.bold(c.green(s)),
    fail: (s) => c.bold(c.red(s)),
    warn: (s) => c.bold(c.yellow(s)),
    skip: c.dim,
    error: (s) => c.bold(c.magenta(s)),
  };
  return map[v](v);
}

// eslint-disable-next-line no-control-regex -- strips ANSI colour codes to measure width
const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
const pad = (s: string, w: number, right = false) => (right ? ' '.repeat(Math.max(0, w - visible(s))) + s : s + ' '.repeat(Math.max(0, w - visible(s))));

export function toTerminal(suite: SuiteResult, score: SwayScore, options: TerminalOptions = {}): string {
  const c = pc.createColors(options.color ?? false);
  const out: string[] = [];
  out.push(`${c.bold('sway report — ')}${c.cyan(suite.base_model_id)}${c.dim('  vs  ')}${c.cyan(adapterLabel(suite.adapter_id))}`);
  out.push('');
  const o = score.overall;
  const oc = o >= 0.6 ? c.green : o >= 0.3 ? c.yellow : c.red;
  const bandColor = { noise: c.red, partial: c.yellow, healthy: c.green, suspicious: c.magenta }[score.band] ?? c.white;
  out.push(`${c.bold('overall: ')}${oc(formatScore(o))}  ${bandColor(`[ ${score.band} ]`)}`);
  for (const cat of orderedCategories(score)) {
    const v = categoryScore(score, cat);
    const cells = v === undefined ? 0 : Math.round(Math.max(0, Math.min(1, v)) * 10);
    const bar = v === undefined ? ' '.repeat(10) : `${'█'.repeat(cells)}${'░'.repeat(10 - cells)}`;
    out.push(`  ${pad(cat, 12)}  ${pad(formatScore(v), 5, true)}  ${bar}  ${c.dim(categoryLabel(score, cat))}`.trimEnd());
  }
  out.push('');
  const header = ['name', 'kind', 'verdict', 'score', 'raw', 'ci95', 'z', 'note'];
  const notes = suite.probes.map((r) => decoratedMessage(r));
  const rows = suite.probes.map((r) => [c.cyan(r.name), c.dim(r.kind), verdictText(c, r.verdict), formatScore(r.score), formatRaw(r.raw), c.dim(formatCi(r.ci_95)), formatZ(r.z_score)]);
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => (i === 7 ? 0 : visible(r[i] as string)))));
  const right = new Set([3, 4, 5, 6]);
  const fixedCols = (row: string[]) => row.map((cell, i) => pad(cell, widths[i] as number, right.has(i))).join('  ');
  const noteCol = widths.slice(0, 7).reduce((a, w) => a + w, 0) + 2 * 7;
  const width = options.width === undefined ? defaultWidth() : options.width;
  // The note column wraps beside the table when at least 24 columns are left; else below each row.
  const noteWidth = width === null ? null : width - noteCol;
  out.push(`${fixedCols(header.slice(0, 7).map((h) => c.bold(h)))}  ${c.bold('note')}`);
  rows.forEach((r, i) => {
    const note = notes[i] as string;
    if (noteWidth === null || note.length <= noteWidth) {
      out.push(`${fixedCols(r)}  ${c.dim(note)}`.trimEnd());
    } else if (noteWidth >= 24) {
      const lines = wrapText(note, noteWidth);
      out.push(`${fixedCols(r)}  ${c.dim(lines[0] as string)}`);
      for (const l of lines.slice(1)) out.push(`${' '.repeat(noteCol)}${c.dim(l)}`);
    } else {
      out.push(fixedCols(r).trimEnd());
      for (const l of wrapText(note, Math.max(20, (width as number) - 4))) out.push(`    ${c.dim(l)}`);
    }
  });
  if (score.findings.length) {
    out.push('', c.bold('top findings:'));
    score.findings.forEach((f, i) => out.push(`  ${i + 1}. ${f}`));
  }
  const skipped = skippedRollup(suite);
  if (skipped.count) {
    out.push('', c.dim(`${skipped.count} probe(s) skipped — not measured in this run:`));
    for (const [why, names] of skipped.reasons) out.push(c.dim(`  ${names.join(', ')}: ${why}`));
  }
  const optOuts = nullOptOuts(suite);
  if (optOuts.length) out.push('', c.dim(`${optOuts.length} probe(s) opted out of null calibration (using fixed thresholds): ${optOuts.join(', ')}`));
  const degenerate = degenerateNulls(suite);
  if (degenerate.fewSeeds.length) {
    out.push('', c.dim(`${degenerate.fewSeeds.length} probe kind(s) had at most one usable null seed (no z possible): ${degenerate.fewSeeds.join(', ')} — raise \`runs:\` in the null_adapter entry.`));
  }
  if (degenerate.identical.length) {
    out.push('', c.dim(`${degenerate.identical.length} probe kind(s) gave the same value under every null seed, so no z: ${degenerate.identical.join(', ')} — more runs cannot change that; they used their fixed thresholds.`));
  }
  const family = nullFamily(suite);
  if (family) out.push('', c.dim(`null adapters: ${family}`));
  const footer = [`wall: ${formatDuration(wallSeconds(suite))}`, `sway ${suite.sway_version}`];
  if (suite.determinism) footer.push(`det: ${suite.determinism.class} (seed=${suite.determinism.seed})`);
  const cl = cacheLine(suite);
  if (cl) footer.push(cl);
  out.push('', c.dim(footer.join('  |  ')));
  return `${out.join('\n')}\n`;
}
