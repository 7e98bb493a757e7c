/**
 * external_perplexity: did the adapter make the model worse at ordinary English prose
 * it was not trained on? Per-token log-likelihood change on a shipped public-domain
 * corpus (data/corpora/public_domain_en.txt), chunked by characters.
 */
import { z } from 'zod';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { bootstrapCi, mean } from '../../core/stats.js';
import { contextLimit, scoreLongTexts, type ScoredText } from '../context-fit.js';
import { baseFields, pyFloat, requireBackend, signed } from '../common.js';
import { calibrate, harmScore, harmText, judgeHarm, zSuffix } from '../verdict.js';
import { readPackageText } from '../package-data.js';
import type { ProbeDefinition } from '../types.js';

export const CORPORA = { public_domain_en: 'data/corpora/public_domain_en.txt' } as const;

export const ExternalPerplexitySpec = z
  .object({
    ...baseFields,
    kind: z.literal('external_perplexity'),
    corpus: z.enum(['public_domain_en']).default('public_domain_en'),
    chunk_chars: z.number().int().min(128).max(16384).default(2048),
    max_chunks: z.number().int().min(1).max(128).default(16),
    assert_mean_delta_gte: z.number().default(-0.1),
    assert_z_gte: z.number().default(3.0),
  })
  .strict();
export type ExternalPerplexitySpec = z.infer<typeof ExternalPerplexitySpec>;

export function loadCorpus(name: keyof typeof CORPORA): string {
  const text = readPackageText(CORPORA[name]);
  return text
    .split('\n')
    .filter((l) => l.trim() && !l.trimStart().startsWith('#'))
    .join('\n\n');
}

export function chunkCorpus(text: string, chunkChars: number, maxChunks: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length && out.length < maxChunks; i += chunkChars) {
    const c = text.slice(i, i + chunkChars);
    if (c.length >= 64) out.push(c);
  }
  return out;
}

export const externalPerplexity: ProbeDefinition<ExternalPerplexitySpec> = {
  kind: 'external_perplexity',
  category: 'calibration',
  schema: ExternalPerplexitySpec,
  needsBackend: true,
  summary: 'per-token log-likelihood change on public-domain English prose (diffuse forgetting)',
  calibrateSpec: () => ExternalPerplexitySpec.parse({ name: '_calibration', kind: 'external_perplexity', max_chunks: 4 }),
  async run(spec, ctx) {
    let chunks: string[];
    try {
      chunks = chunkCorpus(loadCorpus(spec.corpus), spec.chunk_chars, spec.max_chunks);
    } catch (err) {
      return plainResult(spec.name, spec.kind, 'error', `failed to load corpus '${spec.corpus}': ${(err as Error).message}`, { weight: spec.weight });
    }
    if (!chunks.length) return plainResult(spec.name, spec.kind, 'error', `corpus '${spec.corpus}' chunked to zero pieces (chunk_chars=${spec.chunk_chars}, max_chunks=${spec.max_chunks})`, { weight: spec.weight });
    const backend = requireBackend(ctx, spec.name);
    const tok = backend.tokenizer?.() ?? null;
    const limit = contextLimit(backend);
    const deltas: number[] = [];
    let bTot = 0;
    let bN = 0;
    let fTot = 0;
    let fN = 0;
    // Every chunk under both views in one multi-view call (batched forwards where the backend can).
    const [bs, fs] = (await scoreLongTexts(backend, [{ kind: 'base' }, { kind: 'ft' }], chunks, tok, limit, (n) => ctx.progress?.(n, chunks.length, 'chunks'))) as [ScoredText[], ScoredText[]];
    for (const [i, b] of bs.entries()) {
      const f = fs[i]!;
      const nb = Math.max(b.scored, 1);
      const nf = Math.max(f.scored, 1);
      const d = f.totalLogprob / nf - b.totalLogprob / nb;
      if (!Number.isFinite(d)) continue;
      deltas.push(d);
      bTot += b.totalLogprob;
      bN += nb;
      fTot += f.totalLogprob;
      fN += nf;
    }
    if (!deltas.length) return plainResult(spec.name, spec.kind, 'error', 'every chunk produced a non-finite delta', { weight: spec.weight });
    const md = mean(deltas);
    // Harm: a lower per-token log-likelihood than the null's. z > 0 means less harm than the null.
    const cal = calibrate(ctx, 'external_perplexity', md, 1, 'lower');
    const z = cal.z;
    const ci = bootstrapCi(deltas, { seed: ctx.seed });
    const ok = md >= spec.assert_mean_delta_gte;
    const d = `${signed(md, 3)}`;
    const { verdict, score } = judgeHarm(cal, spec.assert_z_gte, () => {
      const limit = Math.max(-spec.assert_mean_delta_gte, 1e-6);
      return { verdict: ok ? 'pass' : 'fail', score: ok ? Math.max(0.6, harmScore(-md / limit)) : Math.min(0.59, harmScore(Math.max(-md / limit, 1))) };
    });
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict,
      score,
      raw: md,
      z_score: z,
      base_value: bTot / Math.max(bN, 1),
      ft_value: fTot / Math.max(fN, 1),
      ci_95: ci,
      message: z !== null ? `external_ppl delta=${d} nats/tok, ${harmText(verdict, spec.assert_z_gte)}${zSuffix(cal)} (higher-is-better)` : `external_ppl delta=${d} nats/tok (${ok ? '≥' : '<'} ${pyFloat(spec.assert_mean_delta_gte)})${zSuffix(cal)}`,
      evidence: {
        corpus: spec.corpus,
        chunk_chars: spec.chunk_chars,
        num_chunks: deltas.length,
        per_chunk_delta: deltas,
        base_mean_logprob_per_tok: bTot / Math.max(bN, 1),
        ft_mean_logprob_per_tok: fTot / Math.max(fN, 1),
        weight: spec.weight,
        question: 'harm',
        ...cal.evidence,
        raw_ci_95: ci,
      },
    });
  },
};
