/**
 * The HTML report: one self-contained offline file (inline CSS and SVG, no scripts from
 * anywhere) with the composite score, category bars, the ablation curve, the per-rank
 * z-profile, per-probe z bars against the null band, the null samples each calibrated probe
 * was compared with (per rank), and the probe table.
 */
import type { SuiteResult, SwayScore } from '../core/results.js';
import type { ProbeResult } from '../core/results.js';
import { decoratedMessage, formatCi, formatRaw, formatScore, formatZ, nullFamily, rankLabel, wallSeconds, Z_LIMIT } from './format.js';
import { dotStrips, esc, hbars, lineChart, type Strip } from './svg.js';
import { categoryScore, orderedCategories } from './text-rollups.js';

const BAND_COLOR: Record<string, string> = { noise: '#dc3545', partial: '#ffc107', healthy: '#28a745', suspicious: '#9c27b0' };
const CAT_COLOR: Record<string, string> = { adherence: '#0d6efd', attribution: '#198754', calibration: '#fd7e14', ablation: '#6f42c1', baseline: '#adb5bd' };
const VERDICT_COLOR: Record<string, string> = { pass: '#28a745', fail: '#dc3545', warn: '#c98a00', skip: '#6c757d', error: '#9c27b0' };

const clampZ = (z: number) => Math.max(-Z_LIMIT - 5, Math.min(Z_LIMIT + 5, z));

interface Samples {
  values?: number[];
  n?: number;
}

function sampleValues(v: unknown): number[] {
  const vals = (v as Samples | null)?.values;
  return Array.isArray(vals) ? vals.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : [];
}

/** One strip per calibrated probe, or per rank when the probe has several: null samples and the adapter's value. */
function nullStrips(probes: readonly ProbeResult[]): Strip[] {
  const strips: Strip[] = [];
  for (const p of probes) {
    if (typeof p.raw !== 'number' || !Number.isFinite(p.raw)) continue;
    const zb = (p.evidence['z_by_rank'] ?? {}) as Record<string, number>;
    const byRank = p.evidence['null_samples_by_rank'] as Record<string, Samples> | undefined;
    const tailOf = (vals: number[]) => {
      const side = p.evidence['tail_side'] === 'lower' ? 'lower' : 'upper';
      return vals.filter((v) => (side === 'upper' ? v >= p.raw! : v <= p.raw!)).length;
    };
    if (byRank && Object.keys(byRank).length > 1) {
      for (const [rank, s] of Object.entries(byRank)) {
        const vals = sampleValues(s);
        if (!vals.length) continue;
        const z = zb[rank];
        strips.push({ label: `${p.name} @ ${rankLabel(rank)}`, values: vals, marker: p.raw, note: `${typeof z === 'number' ? `z ${formatZ(z)}, ` : ''}tail ${tailOf(vals)}/${vals.length}` });
      }
      continue;
    }
    const vals = sampleValues(p.evidence['null_samples']);
    if (!vals.length) continue;
    strips.push({ label: p.name, values: vals, marker: p.raw, note: `${p.z_score !== null ? `z ${formatZ(p.z_score)}, ` : 'no z, '}tail ${tailOf(vals)}/${vals.length}` });
  }
  return strips;
}

function panel(id: string, title: string, body: string): string {
  return `<section class="panel" id="panel-${id}"><h2>${esc(title)}</h2>${body}</section>`;
}

export function toHtml(suite: SuiteResult, score: SwayScore): string {
  const title = `sway report — ${suite.adapter_id || suite.base_model_id}`;
  const counts = (['pass', 'fail', 'warn', 'skip', 'error'] as const)
    .map((v) => [v, suite.probes.filter((p) => p.verdict === v).length] as const)
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `<span class="v-${v}">${n} ${v}</span>`)
    .join(' · ');
  const panels: string[] = [];
  const family = nullFamily(suite);
  const gaugeColor = BAND_COLOR[score.band] ?? '#6c757d';
  panels.push(
    panel(
      'sway-gauge',
      'Composite score',
      `<svg id="sway-gauge" class="chart" viewBox="0 0 640 90" width="100%" role="img">` +
        [[0, 0.3, '#f8d7da'], [0.3, 0.6, '#fff3cd'], [0.6, 0.85, '#d1e7dd'], [0.85, 1, '#e2e3ff']].map(([a, b, c]) => `<rect x="${20 + (a as number) * 600}" y="20" width="${((b as number) - (a as number)) * 600}" height="30" fill="${c}"/>`).join('') +
        `<rect class="bar" x="20" y="28" width="${Math.max(1, Math.min(1, score.overall) * 600)}" height="14" fill="${gaugeColor}"><title>overall ${formatScore(score.overall)}</title></rect>` +
        `<text x="20" y="75" font-size="14"><tspan font-weight="bold">${formatScore(score.overall)}</tspan> ${esc(score.band || 'unscored')}</text></svg>` +
        `<p class="legend"><span style="background:#f8d7da">noise &lt; 0.30</span> <span style="background:#fff3cd">partial 0.30–0.60</span> <span style="background:#d1e7dd">healthy 0.60–0.85</span> <span style="background:#e2e3ff">suspicious &gt; 0.85</span></p>`,
    ),
  );
  const cats = orderedCategories(score).filter((c) => categoryScore(score, c) !== undefined);
  const empty = orderedCategories(score).filter((c) => categoryScore(score, c) === undefined);
  panels.push(
    panel(
      'sway-category',
      'Category breakdown',
      hbars('sway-category', cats.map((c) => ({ label: c, value: categoryScore(score, c) as number, color: CAT_COLOR[c] ?? '#888888' })), { min: 0, max: 1 }) +
        (empty.length ? `<p class="meta">no probes scored (— , left out of the composite): ${esc(empty.join(', '))}</p>` : ''),
    ),
  );
  const abl = suite.probes.find((p) => p.kind === 'adapter_ablation' && p.score !== null && Array.isArray(p.evidence['lambdas']));
  if (abl) {
    const xs = abl.evidence['lambdas'] as number[];
    const ys = abl.evidence['mean_divergence_per_lambda'] as number[];
    const sat = abl.evidence['saturation_lambda'];
    panels.push(panel('sway-ablation', 'Adapter-ablation response', lineChart('sway-ablation', xs, ys, { xLabel: 'adapter scale λ', yLabel: 'mean divergence from λ_min', ...(typeof sat === 'number' ? { marker: { x: sat, label: `sat_λ=${sat.toFixed(2)}` } } : {}) })));
  }
  const withRanks = suite.probes.filter((p) => p.evidence['z_by_rank'] && typeof p.evidence['z_by_rank'] === 'object' && Object.keys(p.evidence['z_by_rank'] as object).length > 0);
  if (withRanks.length) {
    const bars = withRanks.flatMap((p) => Object.entries(p.evidence['z_by_rank'] as Record<string, number>).map(([rank, z]) => ({ label: `${p.name} @ ${rankLabel(rank)}`, value: clampZ(z), text: formatZ(z), color: z >= 3 ? '#28a745' : z >= 1 ? '#ffc107' : '#dc3545' })));
    const zmax = Math.max(5, ...bars.map((b) => Math.abs(b.value)));
    panels.push(panel('sway-rank-profile', 'Per-rank z-profile', hbars('sway-rank-profile', bars, { min: Math.min(-2, ...bars.map((b) => b.value)), max: Math.ceil(zmax), band: [-2, 2], unit: 'σ' })));
  }
  const zs = suite.probes.filter((p) => typeof p.z_score === 'number');
  if (zs.length) {
    const bars = zs.map((p) => ({ label: p.name, value: clampZ(p.z_score as number), text: formatZ(p.z_score), color: VERDICT_COLOR[p.verdict] ?? '#888', title: `${p.name} (${p.kind}) ${p.verdict}: ${formatZ(p.z_score)}` }));
    const zmax = Math.max(5, ...bars.map((b) => Math.abs(b.value)));
    panels.push(panel('sway-z', 'Per-probe z-score against the null band (|z| < 2 shaded)', hbars('sway-z', bars, { min: Math.min(-2, ...bars.map((b) => b.value)), max: Math.ceil(zmax), band: [-2, 2], unit: 'σ' })));
  }
  const strips = nullStrips(suite.probes);
  if (strips.length) {
    panels.push(panel('sway-null-samples', 'Null samples (grey) and the adapter’s value (red), per probe and rank', dotStrips('sway-null-samples', strips)));
  }
  const rows = suite.probes
    .map((p) => `<tr><td>${esc(p.name)}</td><td><code>${esc(p.kind)}</code></td><td class="v-${p.verdict}">${p.verdict}</td><td>${formatScore(p.score)}</td><td>${formatRaw(p.raw)}</td><td>${formatCi(p.ci_95)}</td><td>${formatZ(p.z_score)}</td><td>${esc(decoratedMessage(p))}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="sway report html"><title>${esc(title)}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1,.meta,td{overflow-wrap:anywhere}.legend span{padding:1px 6px;margin-right:6px;font-size:12px}
.panel{border:1px solid #dee2e6;border-radius:8px;padding:1em;margin:1em 0;background:#fff}
.meta,.summary{color:#444}.chart{max-width:100%;height:auto}
table{border-collapse:collapse;width:100%;font-size:14px}td,th{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:top}
.v-pass{color:#28a745;font-weight:bold}.v-fail{color:#dc3545;font-weight:bold}.v-warn{color:#c98a00;font-weight:bold}.v-skip{color:#6c757d}.v-error{color:#9c27b0;font-weight:bold}
</style></head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">base: <code>${esc(suite.base_model_id)}</code> · adapter: <code>${esc(suite.adapter_id || '—')}</code> · sway ${esc(suite.sway_version)} · wall: ${wallSeconds(suite).toFixed(2)}s</p>
${family ? `<p class="meta">null adapters: ${esc(family)}</p>
` : ''}<p class="summary"><b>overall</b>: ${formatScore(score.overall)} (${esc(score.band || '—')}) · ${counts || 'no probes ran'}</p>
${panels.join('\n')}
<section class="panel" id="panel-probes"><h2>Probes</h2><table><thead><tr><th>name</th><th>kind</th><th>verdict</th><th>score</th><th>raw</th><th>ci95</th><th>z</th><th>note</th></tr></thead><tbody>
${rows}
</tbody></table></section>
</body></html>
`;
}
