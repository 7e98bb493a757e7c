/**
 * adapter_revert: on paraphrased prompts, does the fine-tuned generation drift back to
 * what the base says instead of the intended gold answer? Similarity uses the local
 * lexical embedder (see embedder.ts).
 */
import { z } from 'zod';
import { plainResult, safeFinalize } from '../core/finalize.js';
import { percent, pyFloat, signedFixed } from '../core/pyformat.js';
import { laxFloat, laxInt, strictObject } from '../core/schema.js';
import { noCalibrationNote, scoreFromZ, verdictFromZ, zScore, zScoresByRank } from '../core/zscore.js';
import { getNullStats, getNullStatsByRank, requireBackend } from './context.js';
import { DEFAULT_EMBEDDING_MODEL } from './cluster-kl.js';
import { LOCAL_EMBEDDER_NAME, cosine, embedText } from './embedder.js';
import { probeSchema } from './spec-base.js';
import type { ProbeDefinition, RunContext } from './types.js';

const caseSchema = strictObject({
  prompt: z.string(),
  gold: z.string(),
  paraphrases: z.array(z.string()).min(1),
});

export const adapterRevertSchema = probeSchema('adapter_revert', {
  cases: z.array(caseSchema).default([]),
  max_new_tokens: laxInt.default(64),
  embedding_model: z.string().default(DEFAULT_EMBEDDING_MODEL),
  base_gold_similarity_cap: laxFloat.default(0.75),
  assert_revert_rate_lt: laxFloat.default(0.25),
  assert_z_gte: laxFloat.default(3.0),
});
export type AdapterRevertSpec = z.output<typeof adapterRevertSchema>;

async function run(spec: AdapterRevertSpec, ctx: RunContext) {
  const started = performance.now();
  if (spec.cases.length === 0) return plainResult(spec.name, spec.kind, 'error', 'no cases provided', { weight: spec.weight });
  const backend = requireBackend(ctx, spec.name);
  const gen = { maxNewTokens: spec.max_new_tokens, temperature: 0, seed: ctx.seed };
  let total = 0;
  let reverts = 0;
  let dropped = 0;
  const perCase: Record<string, unknown>[] = [];
  for (const c of spec.cases) {
    const gold = embedText(c.gold);
    for (const pp of c.paraphrases) {
      const baseGen = await backend.asBase((v) => v.generate(pp, gen));
      const ftGen = await backend.asFinetuned((v) => v.generate(pp, gen));
      const b = embedText(baseGen);
      const f = embedText(ftGen);
      if (cosine(b, gold) > spec.base_gold_similarity_cap) {
        dropped++;
        continue;
      }
      const cosFtBase = cosine(f, b);
      const cosFtGold = cosine(f, gold);
      const reverted = cosFtBase > cosFtGold;
      total++;
      if (reverted) reverts++;
      perCase.push({ prompt: pp.slice(0, 80), cos_ft_base: cosFtBase, cos_ft_gold: cosFtGold, reverted });
    }
  }
  if (total === 0) {
    return plainResult(
      spec.name,
      spec.kind,
      'warn',
      `all ${dropped} paraphrase pairs had base≈gold (> ${pyFloat(spec.base_gold_similarity_cap)}) — no separable signal`,
      { dropped_trivial: dropped, weight: spec.weight, embedder: LOCAL_EMBEDDER_NAME },
      0.5,
    );
  }
  const rate = reverts / total;
  const stats = getNullStats(ctx, spec.kind);
  const zRaw = zScore(rate, stats);
  const z = zRaw === null ? null : -zRaw;
  let verdict = verdictFromZ(z, spec.assert_z_gte);
  let score = scoreFromZ(z);
  const via = ` [embedder: ${LOCAL_EMBEDDER_NAME}]`;
  let message: string;
  if (verdict !== null && z !== null) {
    message = `revert_rate=${percent(rate)} (reverts=${reverts}/${total}), z=${signedFixed(z, 2)}σ vs null${via}`;
  } else {
    verdict = rate < spec.assert_revert_rate_lt ? 'pass' : 'fail';
    score = Math.max(0, Math.min(1, 1 - rate / Math.max(spec.assert_revert_rate_lt, 1e-6)));
    message = `revert_rate=${percent(rate)} (reverts=${reverts}/${total}, dropped_trivial=${dropped})${via} ${noCalibrationNote(spec.kind)}`;
  }
  return safeFinalize({
    name: spec.name,
    kind: spec.kind,
    verdict,
    score,
    raw: rate,
    z_score: z,
    evidence: {
      revert_rate: rate,
      reverts,
      total,
      dropped_trivial: dropped,
      per_case: perCase.slice(0, 8),
      embedder: LOCAL_EMBEDDER_NAME,
      weight: spec.weight,
      z_by_rank: zScoresByRank(rate, getNullStatsByRank(ctx, spec.kind), -1),
    },
    message,
    duration_s: (performance.now() - started) / 1000,
  });
}

export const adapterRevertProbe: ProbeDefinition<AdapterRevertSpec> = {
  kind: 'adapter_revert',
  category: 'adherence',
  schema: adapterRevertSchema,
  needsBackend: true,
  summary: 'Rate at which ft generations on paraphrases land closer to the base output than to the gold answer.',
  run,
  // Needs generations and an embedder per seed; too costly and noisy to calibrate.
  calibrateSpec: () => null,
};
