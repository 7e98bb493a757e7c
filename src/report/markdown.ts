/** The Markdown report (reference byte layout, snapshot-tested). */
import type { SuiteResult, SwayScore } from '../core/results.js';
import { adapterLabel, cacheLine, decoratedMessage, degenerateNulls, fixed, formatCi, formatDuration, formatRaw, formatScore, formatZ, nullFamily, nullOptOuts, wallSeconds } from './format.js';
import { categoryLabel, categoryScore, orderedCategories } from './text-rollups.js';

/** A table cell: pipes escaped, one line, and HTML-significant characters as entities (a probe name is not markup). */
const cell = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ')
    .trim();

export function toMarkdown(suite: SuiteResult, score: SwayScore): string {
  const L: string[] = [];
  L.push('# sway report', '');
  L.push(`**Overall:** ${formatScore(score.overall)} (\`${score.band}\`)  `);
  L.push(`**Base:** \`${suite.base_model_id}\`  `);
  L.push(`**Adapter:** \`${adapterLabel(suite.adapter_id)}\`  `);
  L.push(`**Wall:** ${formatDuration(wallSeconds(suite))}  `);
  if (suite.determinism) L.push(`**Determinism:** \`${suite.determinism.class}\` (seed=${suite.determinism.seed})  `);
  const cl = cacheLine(suite);
  if (cl) L.push(`**Backend:** ${cl}  `);
  const family = nullFamily(suite);
  if (family) L.push(`**Null adapters:** ${cell(family)}  `);
  L.push('', '## Components', '', '| category | score | weight | |', '|---|---:|---:|---|');
  for (const cat of orderedCategories(score)) {
    const label = categoryLabel(score, cat);
    L.push(`| ${cat} | ${formatScore(categoryScore(score, cat))} | ${fixed((score.weights as Record<string, number>)[cat] ?? 0, 2)} | ${label}${label ? ' ' : ''}|`);
  }
  L.push('', '## Probes', '', '| name | kind | verdict | score | raw | ci95 | z | duration | note |', '|---|---|---|---:|---:|---:|---:|---:|---|');
  for (const r of suite.probes) {
    L.push(`| ${cell(r.name)} | \`${r.kind}\` | ${r.verdict} | ${formatScore(r.score)} | ${formatRaw(r.raw)} | ${formatCi(r.ci_95)} | ${formatZ(r.z_score)} | ${formatDuration(r.duration_s)} | ${cell(decoratedMessage(r))} |`);
  }
  if (score.findings.length) {
    L.push('', '## Top findings', '');
    for (const f of score.findings) L.push(`- ${f}`);
  }
  const optOuts = nullOptOuts(suite);
  if (optOuts.length) {
    L.push('', '## Null-calibration opt-outs', '', `${optOuts.length} probe(s) fall back to fixed thresholds because their \`calibrate_spec\` returns \`None\`:`, '');
    for (const k of optOuts) L.push(`- \`${k}\``);
  }
  const degenerate = degenerateNulls(suite);
  if (degenerate.fewSeeds.length || degenerate.identical.length) {
    L.push('', '## Degenerate null calibration', '');
    if (degenerate.fewSeeds.length) {
      L.push(`${degenerate.fewSeeds.length} probe kind(s) had at most one usable null seed, so no z-score. Fix: raise \`runs:\` in the \`null_adapter\` spec entry. Affected kinds:`, '');
      for (const k of degenerate.fewSeeds) L.push(`- \`${k}\``);
    }
    if (degenerate.identical.length) {
      if (degenerate.fewSeeds.length) L.push('');
      L.push(`${degenerate.identical.length} probe kind(s) gave the same value under every null seed (for example a rate that is 0 for any random adapter), so no z-score; more runs cannot change that, and these probes used their fixed thresholds. Affected kinds:`, '');
      for (const k of degenerate.identical) L.push(`- \`${k}\``);
    }
  }
  return `${L.join('\n')}\n`;
}
