/** The Markdown report (reference byte layout, snapshot-tested). */
import type { SuiteResult, SwayScore } from '../core/results.js';
import { adapterLabel, cacheLine, decoratedMessage, degenerateNullKinds, fixed, formatCi, formatDuration, formatRaw, formatScore, formatZ, nullOptOuts, wallSeconds } from './format.js';
import { categoryLabel, orderedCategories } from './text-rollups.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ').trim();

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
  L.push('', '## Components', '', '| category | score | weight | |', '|---|---:|---:|---|');
  for (const cat of orderedCategories(score)) {
    const label = categoryLabel(score, cat);
    L.push(`| ${cat} | ${formatScore((score.components as Record<string, number>)[cat])} | ${fixed((score.weights as Record<string, number>)[cat] ?? 0, 2)} | ${label}${label ? ' ' : ''}|`);
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
  const degenerate = degenerateNullKinds(suite);
  if (degenerate.length) {
    L.push(
      '',
      '## Degenerate null calibration',
      '',
      `${degenerate.length} probe kind(s) ran null_adapter but the baseline was too narrow for z-scoring (std ≈ 0, typically \`runs: 1\` or coincidentally-matched seeds). Fix: bump \`runs:\` in the \`null_adapter\` spec entry. Affected kinds:`,
      '',
    );
    for (const k of degenerate) L.push(`- \`${k}\``);
  }
  return `${L.join('\n')}\n`;
}
