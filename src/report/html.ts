/**
 * The HTML report: one self-contained offline file (inline CSS and SVG, no external URLs)
 * with the plots: composite gauge, category scores, per-probe z against the null band,
 * per-rank z profile, ablation curve, per-section internalization, then the probe table.
 */
import type { ProbeResult, SuiteResult, SwayScore } from '../core/results.js';
import { orderedCategories } from './categories.js';
import { decorateMessage, formatRaw, formatScore, formatZ, rankLabel } from './format.js';
import { wallSeconds } from './json.js';
import { esc, gauge, hbarChart, lineChart, type Series } from './svg.js';

const BAND_COLOR: Record<string, string> = { noise: '#dc3545', partial: '#ffc107', healthy: '#28a745', suspicious: '#9c27b0' };
const CAT_COLOR: Record<string, string> = {
  adherence: '#0d6efd',
  attribution: '#198754',
  calibration: '#fd7e14',
  ablation: '#6f42c1',
  baseline: '#adb5bd',
};
const VERDICT_COLOR: Record<string, string> = { pass: '#28a745', fail: '#dc3545', warn: '#c98a00', skip: '#6c757d', error: '#9c27b0' };
const SERIES_COLORS = ['#0d6efd', '#dc3545', '#198754', '#fd7e14', '#6f42c1', '#20c997', '#6c757d'];

const CSS = `body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:24px auto;padding:0 16px;color:#212529}
h1{font-size:1.6rem}.meta{color:#555}.panel{border:1px solid #dee2e6;border-radius:8px;padding:12px 16px;margin:16px 0;background:#fff}
.panel h2{font-size:1.1rem;margin:4px 0 8px}.panel p.hint{color:#666;font-size:.85rem;margin:4px 0}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid #e9ecef;padding:4px 6px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}code{background:#f1f3f5;padding:0 3px;border-radius:3px}
.v-pass{color:#28a745;font-weight:bold}.v-fail{color:#dc3545;font-weight:bold}.v-warn{color:#c98a00;font-weight:bold}.v-skip{color:#6c757d}.v-error{color:#9c27b0;font-weight:bold}
.grid{display:flex;flex-wrap:wrap;gap:16px;align-items:center}svg text{font-family:inherit}`;

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function panel(id: string, title: string, body: string, hint = ''): string {
  return `<section class="panel" id="panel-${id}"><h2>${esc(title)}</h2>${hint ? `<p class="hint">${esc(hint)}</p>` : ''}${body}</section>`;
}

function counts(probes: ProbeResult[]): string {
  const parts = (['pass', 'fail', 'warn', 'skip', 'error'] as const)
    .map((v) => [v, probes.filter((p) => p.verdict === v).length] as const)
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `<span class="v-${v}">${n} ${v}</span>`);
  return parts.length ? parts.join(' \u00b7 ') : 'no probes ran';
}

function zPanel(suite: SuiteResult): string {
  const withZ = suite.probes.filter((p) => num(p.z_score) !== null);
  if (!withZ.length) return '';
  const zs = withZ.map((p) => p.z_score as number);
  const min = Math.min(-3, Math.floor(Math.min(...zs)));
  const max = Math.max(4, Math.ceil(Math.max(...zs)));
  const items = withZ.map((p) => ({
    label: p.name,
    value: p.z_score as number,
    color: VERDICT_COLOR[p.verdict] ?? '#888',
    tooltip: `${p.name} (${p.kind}) ${p.verdict}: z=${formatZ(p.z_score)}`,
  }));
  return panel(
    'sway-z',
    'Per-probe z-score vs. the null band',
    hbarChart('sway-z', items, { min, max, band: [-2, 2], lines: [{ at: 3, label: 'z=3' }], unit: '\u03c3' }),
    'Grey band: where 95% of null (random, same-shape) adapters land. Bars far right of it are real effects.',
  );
}

function rankPanel(suite: SuiteResult): string {
  const series: Series[] = [];
  for (const p of suite.probes) {
    const zbr = p.evidence['z_by_rank'];
    if (!zbr || typeof zbr !== 'object' || Array.isArray(zbr)) continue;
    const pts: [number, number][] = [];
    for (const [k, z] of Object.entries(zbr as Record<string, unknown>)) {
      const mult = Number(/^rank_(.+)$/.exec(k)?.[1]);
      if (Number.isFinite(mult) && num(z) !== null) pts.push([mult, z as number]);
    }
    if (pts.length >= 2) {
      pts.sort((a, b) => a[0] - b[0]);
      series.push({ name: p.name, color: SERIES_COLORS[series.length % SERIES_COLORS.length] ?? '#888', points: pts });
    }
  }
  if (!series.length) return '';
  const legend = series.map((s) => `<span style="color:${s.color}">\u25cf ${esc(s.name)}</span>`).join(' &nbsp; ');
  return panel(
    'sway-rank',
    'Per-rank z-profile',
    lineChart('sway-rank', series, { xLabel: 'null adapter rank multiplier', yLabel: 'z (\u03c3)', hband: [-2, 2] }) + `<p>${legend}</p>`,
    `z of each probe against null adapters of scaled rank (${series[0]?.points.map(([m]) => rankLabel(`rank_${m.toFixed(2)}`)).join(', ')}).`,
  );
}

function ablationPanel(suite: SuiteResult): string {
  const p = suite.probes.find((r) => r.kind === 'adapter_ablation' && num(r.score) !== null);
  if (!p) return '';
  const lambdas = p.evidence['lambdas'];
  const divs = p.evidence['mean_divergence_per_lambda'];
  if (!Array.isArray(lambdas) || !Array.isArray(divs) || lambdas.length !== divs.length || !lambdas.length) return '';
  const pts = lambdas.map((l, i) => [Number(l), Number(divs[i])] as [number, number]).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  const sat = num(p.evidence['saturation_lambda']);
  return panel(
    'sway-ablation',
    'Adapter-ablation response',
    lineChart('sway-ablation', [{ name: p.name, color: '#6f42c1', points: pts }], {
      xLabel: '\u03bb (adapter scale)',
      yLabel: 'mean divergence from base',
      ...(sat !== null ? { vline: { at: sat, label: `sat_\u03bb=${sat.toFixed(2)}` } } : {}),
    }),
    'A healthy adapter rises smoothly with \u03bb; a flat line means the adapter does little.',
  );
}

function sisPanel(suite: SuiteResult): string {
  const p = suite.probes.find((r) => r.kind === 'section_internalization' && num(r.score) !== null);
  const per = p?.evidence['per_section'];
  if (!p || !Array.isArray(per) || !per.length) return '';
  const items = per.map((s: Record<string, unknown>) => {
    const label = String(s['section_id'] ?? s['tag'] ?? '?');
    const v = num(s['effective_sis']) ?? 0;
    return { label, value: v, color: s['passed'] ? '#28a745' : '#dc3545', tooltip: `${label}: effective_sis=${v.toFixed(4)}` };
  });
  const vals = items.map((i) => i.value);
  return panel('sway-sis', 'Per-section internalization', hbarChart('sway-sis', items, { min: Math.min(0, ...vals), max: Math.max(0.1, ...vals) }));
}

export function toHtml(suite: SuiteResult, score: SwayScore): string {
  const title = `sway report \u2014 ${suite.adapter_id || suite.base_model_id}`;
  const comps = score.components as Record<string, number>;
  const catItems = orderedCategories(comps).map((c) => ({
    label: c,
    value: comps[c] ?? 0,
    color: CAT_COLOR[c] ?? '#888888',
    tooltip: `${c}: ${formatScore(comps[c])} (weight ${formatScore((score.weights as Record<string, number>)[c] ?? 0)})`,
  }));
  const rows = suite.probes
    .map(
      (p) =>
        `<tr><td>${esc(p.name)}</td><td><code>${esc(p.kind)}</code></td><td class="v-${p.verdict}">${p.verdict}</td>` +
        `<td class="num">${formatScore(p.score)}</td><td class="num">${formatRaw(p.raw)}</td><td class="num">${formatZ(p.z_score)}</td>` +
        `<td>${esc(decorateMessage(p.message, p.evidence))}</td></tr>`,
    )
    .join('');
  const findings = score.findings.length ? panel('findings', 'Top findings', `<ol>${score.findings.map((f) => `<li>${esc(f)}</li>`).join('')}</ol>`) : '';
  const body = [
    `<h1>${esc(title)}</h1>`,
    `<p class="meta">base: <code>${esc(suite.base_model_id)}</code> \u00b7 adapter: <code>${esc(suite.adapter_id || '\u2014')}</code> \u00b7 sway ${esc(suite.sway_version)} \u00b7 wall: ${wallSeconds(suite).toFixed(2)}s${suite.determinism ? ` \u00b7 det: ${esc(suite.determinism.class)} (seed=${suite.determinism.seed})` : ''}</p>`,
    `<p class="summary"><b>overall</b>: ${formatScore(score.overall)} (${esc(score.band || '\u2014')}) \u00b7 ${counts(suite.probes)}</p>`,
    panel(
      'sway-score',
      'Composite score',
      `<div class="grid">${gauge('sway-gauge', score.overall, BAND_COLOR[score.band] ?? '#6c757d', score.band || 'unscored')}<div style="flex:1;min-width:360px">${hbarChart('sway-category', catItems, { min: 0, max: 1 })}</div></div>`,
      'Bands: noise < 0.30 \u2264 partial < 0.60 \u2264 healthy \u2264 0.85 < suspicious.',
    ),
    zPanel(suite),
    ablationPanel(suite),
    rankPanel(suite),
    sisPanel(suite),
    findings,
    panel('probes', 'Probes', `<table><thead><tr><th>name</th><th>kind</th><th>verdict</th><th>score</th><th>raw</th><th>z</th><th>note</th></tr></thead><tbody>${rows}</tbody></table>`),
  ].join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="sway report html"><title>${esc(title)}</title><style>${CSS}</style></head>
<body>
${body}
</body></html>
`;
}
