/** The terminal report: header, category bars, probe table, findings, footer. */
import pc from 'picocolors';
import type { SuiteResult, SwayScore, Verdict } from '../core/results.js';
import { adapterLabel, cacheLine, decoratedMessage, degenerateNulls, formatCi, formatDuration, formatRaw, formatScore, formatZ, nullFamily, nullOptOuts, skippedRollup, wallSeconds } from './format.js';
import { categoryLabel, categoryScore, orderedCategories } from './text-rollups.js';

export interface TerminalOptions {
  color?: boolean;
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
  const rows = suite.probes.map((r) => [c.cyan(r.name), c.dim(r.kind), verdictText(c, r.verdict), formatScore(r.score), formatRaw(r.raw), c.dim(formatCi(r.ci_95)), formatZ(r.z_score), c.dim(decoratedMessage(r))]);
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => (i === 7 ? 0 : visible(r[i] as string)))));
  const right = new Set([3, 4, 5, 6]);
  out.push(header.map((h, i) => (i === 7 ? c.bold(h) : pad(c.bold(h), widths[i] as number, right.has(i)))).join('  '));
  for (const r of rows) out.push(r.map((cell, i) => (i === 7 ? cell : pad(cell, widths[i] as number, right.has(i)))).join('  '));
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
