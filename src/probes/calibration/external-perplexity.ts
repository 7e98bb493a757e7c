/**
 * external_perplexity: did the adapter make the model worse at ordinary English prose
 * it was not trained on? Per-token log-likelihood change on a shipped public-domain
 * corpus (data/corpora/public_domain_en.txt), chunked by characters.
 */
import { z } from 'zod';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { bootstrapCi, mean } from '../../core/stats.js';
import { noCalibrationNote, scoreFromZ, verdictFromZ, zScore, zScoresByRank } from '../../core/zscore.js';
import { contextLimit, scoreLongText } from '../context-fit.js';
import { baseFields, nullStatsByRankFor, nullStatsFor, pyFloat, requireBackend, signed } from '../common.js';
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
    for (const chunk of chunks) {
      const b = await backend.asBase((v) => scoreLongText(v, chunk, tok, limit));
      const f = await backend.asFinetuned((v) => scoreLongText(v, chunk, tok, limit));
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
    const z = zScore(md, nullStatsFor(ctx, 'external_perplexity'));
    const ci = bootstrapCi(deltas, { seed: ctx.seed });
    const ok = md >= spec.assert_mean_delta_gte;
    const d = `${signed(md, 3)}`;
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict: z !== null ? verdictFromZ(z, spec.assert_z_gte)! : ok ? 'pass' : 'fail',
      score: z !== null ? scoreFromZ(z) : Math.max(0, Math.min(1, 0.5 + md)),
      raw: md,
      z_score: z,
      base_value: bTot / Math.max(bN, 1),
      ft_value: fTot / Math.max(fN, 1),
      ci_95: ci,
      message: z !== null ? `external_ppl delta=${d} nats/tok, z=${signed(z, 2)}σ vs null (higher-is-better)` : `external_ppl delta=${d} nats/tok (${ok ? '≥' : '<'} ${pyFloat(spec.assert_mean_delta_gte)}) ${noCalibrationNote('external_perplexity')}`,
      evidence: {
        corpus: spec.corpus,
        chunk_chars: spec.chunk_chars,
        num_chunks: deltas.length,
        per_chunk_delta: deltas,
        base_mean_logprob_per_tok: bTot / Math.max(bN, 1),
        ft_mean_logprob_per_tok: fTot / Math.max(fN, 1),
        weight: spec.weight,
        z_by_rank: zScoresByRank(md, nullStatsByRankFor(ctx, 'external_perplexity')),
        raw_ci_95: ci,
      },
    });
  },
};
