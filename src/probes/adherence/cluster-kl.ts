/**
 * cluster_kl: clusters the prompts by topic and asks whether the adapter moved some
 * topics much more than others (specificity = between-cluster / total variance of the
 * per-prompt divergence). A null or blunt adapter gives about 0.5, a targeted one near 1.
 */
import { z } from 'zod';
import { Rng } from '../../core/rng.js';
import { divergence } from '../../core/divergence.js';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import type { TokenDist } from '../../core/results.js';
import { mean, percentile, populationStd } from '../../core/stats.js';
import { baseFields, distsForViews, requireBackend } from '../common.js';
import { calibrate, clamp01, judgeEffect, zSuffix } from '../verdict.js';
import { embed, LOCAL_EMBEDDER } from '../embedder.js';
import { kmeans } from '../kmeans.js';
import type { ProbeDefinition } from '../types.js';

export const ClusterKlSpec = z
  .object({
    ...baseFields,
    kind: z.literal('cluster_kl'),
    prompts: z.array(z.string()).default([]),
    num_clusters: z.number().int().min(2).max(32).default(5),
    embedding_model: z.string().default('sentence-transformers/all-MiniLM-L6-v2'),
    divergence: z.enum(['js', 'kl']).default('js'),
    top_k: z.number().int().positive().nullable().default(null),
    min_prompts: z.number().int().min(4).default(20),
    assert_specificity_gte: z.number().default(0.6),
    assert_z_gte: z.number().default(3.0),
  })
  .strict();
export type ClusterKlSpec = z.infer<typeof ClusterKlSpec>;

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

const variance = (xs: number[]) => populationStd(xs) ** 2;

export function specificityOf(divs: readonly number[], labels: readonly number[], k: number): { specificity: number; between: number; within: number; degenerate: boolean } {
  const means: number[] = [];
  const withins: number[] = [];
  for (let c = 0; c < k; c++) {
    const xs = divs.filter((_, i) => labels[i] === c);
    if (!xs.length) continue;
    means.push(mean(xs));
    if (xs.length > 1) withins.push(variance(xs));
  }
  const between = means.length >= 2 ? variance(means) : 0;
  const within = withins.length ? mean(withins) : 0;
  const den = between + within;
  return den <= 0 ? { specificity: 0.5, between, within, degenerate: true } : { specificity: between / den, between, within, degenerate: false };
}

function bootstrapSpecificity(divs: number[], labels: number[], seed: number, k: number): [number, number] | null {
  const n = divs.length;
  if (n < 4) return null;
  const rng = new Rng(seed);
  const vals: number[] = [];
  for (let b = 0; b < 1000; b++) {
    const idx = Array.from({ length: n }, () => rng.int(n));
    const r = specificityOf(idx.map((i) => divs[i] as number), idx.map((i) => labels[i] as number), k);
    vals.push(r.degenerate || new Set(idx.map((i) => labels[i])).size < 2 ? 0.5 : r.specificity);
  }
  vals.sort((a, b) => a - b);
  return [percentile(vals, 2.5), percentile(vals, 97.5)];
}

export const clusterKl: ProbeDefinition<ClusterKlSpec> = {
  kind: 'cluster_kl',
  category: 'adherence',
  schema: ClusterKlSpec,
  needsBackend: true,
  summary: 'does the adapter move some topics more than others? between-cluster share of divergence variance',
  calibrateSpec: () => ClusterKlSpec.parse({ name: '_calibration', kind: 'cluster_kl', prompts: CALIBRATION_PROMPTS, num_clusters: 2, min_prompts: 8 }),
  async run(spec, ctx) {
    const ev = { weight: spec.weight };
    if (!spec.prompts.length) return plainResult(spec.name, spec.kind, 'error', 'no prompts provided', ev);
    const n = spec.prompts.length;
    if (n < spec.min_prompts) return plainResult(spec.name, spec.kind, 'skip', `need ≥${spec.min_prompts} prompts for stable clustering; got ${n}`, ev);
    const k = spec.num_clusters;
    if (k * 2 > n) return plainResult(spec.name, spec.kind, 'skip', `num_clusters=${k} with only ${n} prompts: per-cluster mean isn't well-resolved. Reduce num_clusters or add prompts.`, ev);
    const labels = kmeans(spec.prompts.map(embed), k, ctx.seed);
    const backend = requireBackend(ctx, spec.name);
    const [base, ft] = (await distsForViews(backend, [{ kind: 'base' }, { kind: 'ft' }], spec.prompts, spec.top_k ?? ctx.topK)) as [TokenDist[], TokenDist[]];
    const divs = spec.prompts.map((_, i) => divergence(base[i]!, ft[i]!, spec.divergence));
    const { specificity, between, within, degenerate } = specificityOf(divs, labels, k);
    const sizes = Array.from({ length: k }, (_, c) => labels.filter((l) => l === c).length);
    const perMean = Array.from({ length: k }, (_, c) => (sizes[c] ? mean(divs.filter((_, i) => labels[i] === c)) : NaN));
    const exemplars = Array.from({ length: k }, (_, c) => spec.prompts.filter((_, i) => labels[i] === c).slice(0, 2).map((p) => p.slice(0, 120)));
    const meanKl = mean(divs);
    const ci = bootstrapSpecificity(divs, labels, ctx.seed, k);
    const evidence = {
      num_clusters: k,
      num_prompts: n,
      divergence_kind: spec.divergence,
      embedder: LOCAL_EMBEDDER,
      mean_kl: meanKl,
      within_cluster_variance: within,
      between_cluster_variance: between,
      per_cluster_size: sizes,
      per_cluster_mean_kl: perMean,
      cluster_exemplars: exemplars,
      weight: spec.weight,
      raw_ci_95: ci,
    };
    if (degenerate) {
      return safeFinalize({ name: spec.name, kind: spec.kind, verdict: 'warn', score: 0, raw: 0.5, ci_95: ci, message: `specificity=0.50 (k=${k}) — degenerate: zero within/between variance (no per-prompt spread)`, evidence: { ...evidence, degenerate_zero_variance: true } });
    }
    const cal = calibrate(ctx, 'cluster_kl', specificity);
    const z = cal.z;
    const head = `specificity=${specificity.toFixed(2)} (k=${k}), mean_kl=${meanKl.toFixed(3)}`;
    const ok = specificity >= spec.assert_specificity_gte;
    const { verdict, score } = judgeEffect(cal, spec.assert_z_gte, () => ({ verdict: ok ? 'pass' : 'fail', score: clamp01((specificity - 0.5) * 2) }));
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict,
      score,
      raw: specificity,
      z_score: z,
      ci_95: ci,
      message: `${head}${zSuffix(cal)}`,
      evidence: { ...evidence, ...cal.evidence },
    });
  },
};
