/**
 * adapter_revert: under paraphrased prompts, does the fine-tuned generation drift back to
 * what the base model says instead of the intended gold answer?
 */
import { z } from 'zod';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { baseFields, generateForViews, requireBackend } from '../common.js';
import { calibrate, clamp01, judgeEffect, zSuffix } from '../verdict.js';
import { cosine, embed, LOCAL_EMBEDDER } from '../embedder.js';
import type { ProbeDefinition } from '../types.js';

const Case = z.object({ prompt: z.string(), gold: z.string(), paraphrases: z.array(z.string()).min(1) }).strict();

export const AdapterRevertSpec = z
  .object({
    ...baseFields,
    kind: z.literal('adapter_revert'),
    cases: z.array(Case).default([]),
    max_new_tokens: z.number().int().positive().default(64),
    embedding_model: z.string().default('sentence-transformers/all-MiniLM-L6-v2'),
    base_gold_similarity_cap: z.number().default(0.75),
    assert_revert_rate_lt: z.number().default(0.25),
    assert_z_gte: z.number().default(3.0),
  })
  .strict();
export type AdapterRevertSpec = z.infer<typeof AdapterRevertSpec>;

export const adapterRevert: ProbeDefinition<AdapterRevertSpec> = {
  kind: 'adapter_revert',
  category: 'adherence',
  schema: AdapterRevertSpec,
  needsBackend: true,
  summary: 'under paraphrases, does the ft output revert to the base output instead of the gold answer?',
  calibrateSpec: () => null,
  async run(spec, ctx) {
    if (!spec.cases.length) return plainResult(spec.name, spec.kind, 'error', 'no cases provided', { weight: spec.weight });
    const backend = requireBackend(ctx, spec.name);
    const opts = { maxNewTokens: spec.max_new_tokens, seed: ctx.seed };
    let total = 0;
    let reverts = 0;
    let dropped = 0;
    const perCase: Record<string, unknown>[] = [];
    const paraphrases = spec.cases.reduce((n, c) => n + c.paraphrases.length, 0);
    let done = 0;
    for (const c of spec.cases) {
      const gold = embed(c.gold);
      for (const pp of c.paraphrases) {
        // base and ft decode the paraphrase together (one batch) where the backend can.
        const [baseGen, ftGen] = (await generateForViews(backend, [{ kind: 'base' }, { kind: 'ft' }], pp, opts)) as [string, string];
        ctx.progress?.(++done, paraphrases, 'paraphrases');
        const b = embed(baseGen);
        const f = embed(ftGen);
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
      return { ...plainResult(spec.name, spec.kind, 'warn', `all ${dropped} paraphrase(s) had base≈gold (> ${spec.base_gold_similarity_cap}) — no separable signal`, { dropped_trivial: dropped, weight: spec.weight, embedder: LOCAL_EMBEDDER }), score: 0.5 };
    }
    const rate = reverts / total;
    const cal = calibrate(ctx, 'adapter_revert', rate, -1);
    const z = cal.z;
    const pct = `${(rate * 100).toFixed(2)}%`;
    const { verdict, score } = judgeEffect(cal, spec.assert_z_gte, () => ({ verdict: rate < spec.assert_revert_rate_lt ? 'pass' : 'fail', score: clamp01(1 - rate / Math.max(spec.assert_revert_rate_lt, 1e-6)) }));
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict,
      score,
      raw: rate,
      z_score: z,
      message:
        z !== null
          ? `revert_rate=${pct} (reverts=${reverts}/${total})${zSuffix(cal)}`
          : `revert_rate=${pct} (reverts=${reverts}/${total}, dropped_trivial=${dropped})${zSuffix(cal)} [embedder: ${LOCAL_EMBEDDER}]`,
      evidence: {
        revert_rate: rate,
        reverts,
        total,
        dropped_trivial: dropped,
        per_case: perCase.slice(0, 8),
        embedder: LOCAL_EMBEDDER,
        weight: spec.weight,
        ...cal.evidence,
      },
    });
  },
};
