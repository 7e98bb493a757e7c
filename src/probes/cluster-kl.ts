/**
 * cluster_kl: clusters the prompts by topic (local embedder + seeded k-means) and asks
 * whether the adapter's divergence differs between topics: specificity =
 * between/(between + within) cluster variance of the per-prompt divergences.
 */
import { z } from 'zod';
import { divergence } from '../core/divergence.js';
import { plainResult, safeFinalize } from '../core/finalize.js';
import { fixed, signedFixed } from '../core/pyformat.js';
import { Rng } from '../core/rng.js';
import { laxFloat, laxInt } from '../core/schema.js';
import { mean, percentileSorted, popVariance } from '../core/stats.js';
import { noCalibrationNote, scoreFromZ, verdictFromZ, zScore, zScoresByRank } from '../core/zscore.js';
import { getNullStats, getNullStatsByRank, requireBackend } from './context.js';
import { LOCAL_EMBEDDER_NAME, embedAll } from './embedder.js';
import { kmeans } from './kmeans.js';
import { divergenceKindSchema, probeSchema } from './spec-base.js';
import type { ProbeDefinition, RunContext } from './types.js';
import { baseAndFtDists } from './views.js';

export const DEFAULT_EMBEDDING_MODEL = 'sentence-transformers/all-MiniLM-L6-v2';

export const clusterKlSchema = probeSchema('cluster_kl', {
  prompts: z.array(z.string()).default([]),
  num_clusters: laxInt.pipe(z.number().min(2).max(32)).default(5),
  embedding_model: z.string().default(DEFAULT_EMBEDDING_MODEL),
  divergence: divergenceKindSchema,
  top_k: laxInt.nullable().default(null),
  min_prompts: laxInt.pipe(z.number().min(4)).default(20),
  assert_specificity_gte: laxFloat.default(0.6),
  assert_z_gte: laxFloat.default(3.0),
});
export type ClusterKlSpec = z.output<typeof clusterKlSchema>;

const CALIBRATION_PROMPTS = [
  'The cat chased the mouse.',
  'Write a Python decorator that logs calls.',
  'Dogs are loyal companions.',
  'Implement binary search in Rust.',
  'Horses gallop across the plains.',
  'Debug a segfault in C++ pointer arithmetic.',
  'Elephants never forget a face.',
  'Explain ownership in Rust.',
];

interface Spread {
  between: number;
  within: number;
  specificity: number;
  degenerate: boolean;
}

/** between/(between+within) with population variances over the non-empty clusters. */
export function specificity(divs: readonly number[], labels: readonly number[], k: number): Spread & { means: number[]; sizes: number[] } {
  const means: number[] = [];
  const sizes: number[] = [];
  const clusterMeans: number[] = [];
  const withins: number[] = [];
  for (let c = 0; c < k; c++) {
    const members = divs.filter((_, i) => labels[i] === c);
    sizes.push(members.length);
    if (members.length === 0) {
      means.push(NaN);
      continue;
    }
    const m = mean(members);
    means.push(m);
    clusterMeans.push(m);
    if (members.length > 1) withins.push(popVariance(members));
  }
  const between = clusterMeans.length >= 2 ? popVariance(clusterMeans) : 0;
  const within = withins.length > 0 ? mean(withins) : 0;
  const denom = between + within;
  return { between, within, specificity: denom > 0 ? between / denom : 0.5, degenerate: !(denom > 0), means, sizes };
}

function bootstrapSpecificity(divs: readonly number[], labels: readonly number[], seed: number, k: number): [number, number] | null {
  const n = divs.length;
  if (n < 4) return null;
  const rng = new Rng(seed);
  const vals: number[] = [];
  for (let b = 0; b < 1000; b++) {
    const d: number[] = [];
    const l: number[] = [];
    for (let i = 0; i < n; i++) {
      const j = rng.int(n);
      d.push(divs[j] as number);
      l.push(labels[j] as number);
    }
    const present = new Set(l).size;
    const s = specificity(d, l, k);
    vals.push(present < 2 || s.degenerate ? 0.5 : s.specificity);
  }
  vals.sort((a, b) => a - b);
  return [percentileSorted(vals, 2.5), percentileSorted(vals, 97.5)];
}

async function run(spec: ClusterKlSpec, ctx: RunContext) {
  const started = performance.now();
  const n = spec.prompts.length;
  if (n === 0) return plainResult(spec.name, spec.kind, 'error', 'no prompts provided', { weight: spec.weight });
  if (n < spec.min_prompts) {
    return plainResult(spec.name, spec.kind, 'skip', `need ≥${spec.min_prompts} prompts for stable clustering; got ${n}`, { weight: spec.weight });
  }
  const k = spec.num_clusters;
  if (k * 2 > n) {
    return plainResult(
      spec.name,
      spec.kind,
      'skip',
      `num_clusters=${k} with only ${n} prompts: per-cluster mean isn't well-resolved. Reduce num_clusters or add prompts.`,
      { weight: spec.weight },
    );
  }
  const backend = requireBackend(ctx, spec.name);
  const { labels } = kmeans(embedAll(spec.prompts), k, ctx.seed, 10);
  const [base, ft] = await baseAndFtDists(backend, spec.prompts, spec.top_k ?? ctx.topK);
  const divs = spec.prompts.map((_, i) => divergence(base[i]!, ft[i]!, spec.divergence));
  const s = specificity(divs, labels, k);
  const meanKl = mean(divs);
  const exemplars: Record<string, string[]> = {};
  for (let c = 0; c < k; c++) {
    const members = spec.prompts.filter((_, i) => labels[i] === c);
    if (members.length > 0) exemplars[String(c)] = members.slice(0, 2).map((p) => p.slice(0, 120));
  }
  const evidence: Record<string, unknown> = {
    num_clusters: k,
    num_prompts: n,
    divergence_kind: spec.divergence,
    embedder: LOCAL_EMBEDDER_NAME,
    mean_kl: meanKl,
    within_cluster_variance: s.within,
    between_cluster_variance: s.between,
    per_cluster_size: s.sizes,
    // JSON has no NaN: an empty cluster's mean is null.
    per_cluster_mean_kl: s.means.map((m) => (Number.isFinite(m) ? m : null)),
    cluster_exemplars: exemplars,
    weight: spec.weight,
  };
  const ci = bootstrapSpecificity(divs, labels, ctx.seed, k);
  if (s.degenerate) {
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict: 'warn',
      score: 0.0,
      raw: 0.5,
      evidence: { ...evidence, degenerate_zero_variance: true, raw_ci_95: ci ? [...ci] : null },
      message: `specificity=0.50 (k=${k}) — degenerate: zero within/between variance (no per-prompt spread)`,
      ci_95: ci,
      duration_s: (performance.now() - started) / 1000,
    });
  }
  const z = zScore(s.specificity, getNullStats(ctx, spec.kind));
  let verdict = verdictFromZ(z, spec.assert_z_gte);
  let score = scoreFromZ(z);
  const head = `specificity=${fixed(s.specificity, 2)} (k=${k}), mean_kl=${fixed(meanKl, 3)}`;
  let message: string;
  if (verdict !== null && z !== null) {
    message = `${head}, z=${signedFixed(z, 2)}σ vs null`;
  } else {
    verdict = s.specificity >= spec.assert_specificity_gte ? 'pass' : 'fail';
    score = Math.max(0, Math.min(1, (s.specificity - 0.5) * 2));
    message = `${head} ${noCalibrationNote(spec.kind)}`;
  }
  return safeFinalize({
    name: spec.name,
    kind: spec.kind,
    verdict,
    score,
    raw: s.specificity,
    z_score: z,
    evidence: { ...evidence, z_by_rank: zScoresByRank(s.specificity, getNullStatsByRank(ctx, spec.kind), 1), raw_ci_95: ci ? [...ci] : null },
    message,
    ci_95: ci,
    duration_s: (performance.now() - started) / 1000,
  });
}

export const clusterKlProbe: ProbeDefinition<ClusterKlSpec> = {
  kind: 'cluster_kl',
  category: 'adherence',
  schema: clusterKlSchema,
  needsBackend: true,
  summary: 'Topic specificity: between/(between+within) cluster variance of per-prompt divergence.',
  run,
  calibrateSpec: () => clusterKlSchema.parse({ name: '_calibration', prompts: CALIBRATION_PROMPTS, num_clusters: 2, min_prompts: 8 }),
};
