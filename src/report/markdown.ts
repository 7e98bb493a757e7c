/** Markdown report (core-suite §6.3 byte layout); used for PR comments and job summaries. */
import type { SuiteResult, SwayScore } from '../core/results.js';
import { orderedCategories } from './categories.js';
import { adapterLabel, decorateMessage, formatCi, formatDuration, formatRaw, formatScore, formatZ, toFixedPy } from './format.js';
import { wallSeconds } from './json.js';
import { cacheLine, collectDegenerateNullKinds, collectMissingExtras, collectNullOptOuts, skippedCount } from './rollups.js';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').trim();
}

export function toMarkdown(suite: SuiteResult, score: SwayScore): string {
  const L: string[] = [];
  L.push('# sway report', '');
  L.push(`**Overall:** ${formatScore(score.overall)} (\`${score.band}\`)  `);
  L.push(`**Base:** \`${suite.base_model_id}\`  `);
  L.push(`**Adapter:** \`${adapterLabel(suite.adapter_id)}\`  `);
  L.push(`**Wall:** ${formatDuration(wallSeconds(suite))}  `);
  if (suite.determinism) L.push(`**Determinism:** \`${suite.determinism.class}\` (seed=${suite.determinism.seed})  `);
  const cache = cacheLine(suite.backend_stats);
  if (cache) L.push(`**Backend:** ${cache}  `);
  L.push('', '## Components', '', '| category | score | weight | |', '|---|---:|---:|---|');
  const comps = score.components as Record<string, number>;
  for (const cat of orderedCategories(comps)) {
    const w = (score.weights as Record<string, number>)[cat] ?? 0;
    const label = w === 0 ? '(informational, weight=0)' : '';
    L.push(`| ${cat} | ${formatScore(comps[cat])} | ${toFixedPy(w, 2)} | ${label} |`);
  }
  L.push('', '## Probes', '', '| name | kind | verdict | score | raw | ci95 | z | duration | note |', '|---|---|---|---:|---:|---:|---:|---:|---|');
  for (const p of suite.probes) {
    L.push(
      `| ${cell(p.name)} | \`${p.kind}\` | ${p.verdict} | ${formatScore(p.score)} | ${formatRaw(p.raw)} | ${formatCi(p.ci_95)} | ${formatZ(p.z_score)} | ${formatDuration(p.duration_s)} | ${cell(decorateMessage(p.message, p.evidence))} |`,
    );
  }
  if (score.findings.length) {
    L.push('', '## Top findings', '');
    for (const f of score.findings) L.push(`- ${f}`);
  }
  const extras = collectMissingExtras(suite);
  if (extras.length) {
    L.push('', '## Skipped probes', '', `${skippedCount(suite)} probe(s) skipped due to missing extras. Install with:`, '');
    L.push('```', `pip install 'dlm-sway[${extras.join(',')}]'`, '```');
  }
  const optOuts = collectNullOptOuts(suite);
  if (optOuts.length) {
    L.push('', '## Null-calibration opt-outs', '');
    L.push(`${optOuts.length} probe(s) fall back to fixed thresholds because their \`calibrate_spec\` returns \`None\`:`, '');
    for (const k of optOuts) L.push(`- \`${k}\``);
  }
  const degenerate = collectDegenerateNullKinds(suite);
  if (degenerate.length) {
    L.push('', '## Degenerate null calibration', '');
    L.push(
      `${degenerate.length} probe kind(s) ran null_adapter but the baseline was too narrow for z-scoring ` +
        '(std \u2248 0, typically `runs: 1` or coincidentally-matched seeds). Fix: bump `runs:` in the ' +
        '`null_adapter` spec entry. Affected kinds:',
      '',
    );
    for (const k of degenerate) L.push(`- \`${k}\``);
  }
  for (const p of suite.probes) {
    if (p.kind !== 'cluster_kl' || Object.keys(p.evidence).length === 0) continue;
    const means = Array.isArray(p.evidence['per_cluster_mean_kl']) ? (p.evidence['per_cluster_mean_kl'] as unknown[]) : [];
    const sizes = Array.isArray(p.evidence['per_cluster_size']) ? (p.evidence['per_cluster_size'] as unknown[]) : [];
    const ex = Array.isArray(p.evidence['cluster_exemplars']) ? (p.evidence['cluster_exemplars'] as unknown[]) : [];
    L.push('', '## Cluster breakdown (cluster_kl)', '', `### \`${p.name}\``, '', '| cluster | size | mean KL | exemplars |', '|---:|---:|---:|---|');
    const n = Math.min(means.length, sizes.length, ex.length);
    for (let i = 0; i < n; i++) {
      const m = means[i];
      const e = ex[i];
      const exText = Array.isArray(e) && e.length ? e.map((s) => String(s).replace(/\|/g, '\\|')).join('; ') : '\u2014';
      L.push(`| ${i} | ${String(sizes[i])} | ${typeof m === 'number' ? toFixedPy(m, 3) : '\u2014'} | ${exText} |`);
    }
    L.push('');
  }
  return `${L.join('\n')}\n`;
}
