/** external_perplexity: did the adapter raise perplexity on unrelated public-domain English? */
import { z } from 'zod';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { pyFloat, signedFixed } from '../../core/pyformat.js';
import type { ProbeResult } from '../../core/results.js';
import { laxFloat, laxInt } from '../../core/schema.js';
import { bootstrapCi, mean } from '../../core/stats.js';
import { noCalibrationNote, scoreFromZ, verdictFromZ, zScore, zScoresByRank } from '../../core/zscore.js';
import { getNullStats, getNullStatsByRank, requireBackend } from '../context.js';
import { probeSchema } from '../spec-base.js';
import type { ProbeDefinition, RunContext } from '../types.js';
import { chunkCorpus, loadCorpus } from './external-corpus.js';

const KIND = 'external_perplexity';

export const externalPerplexitySchema = probeSchema(KIND, {
  corpus: z.literal('public_domain_en').default('public_domain_en'),
  chunk_chars: laxInt.pipe(z.number().min(128).max(16384)).default(2048),
  max_chunks: laxInt.pipe(z.number().min(1).max(128)).default(16),
  assert_mean_delta_gte: laxFloat.default(-0.1),
  assert_z_gte: laxFloat.default(3.0),
});
export type ExternalPerplexitySpec = z.output<typeof externalPerplexitySchema>;

const clamp01 = (x: number): number => Math.max(0, Math.min(1, x));

export async function runExternalPerplexity(spec: ExternalPerplexitySpec, ctx: RunContext): Promise<ProbeResult> {
  const { name, kind } = spec;
  let chunks: string[];
  try {
    chunks = chunkCorpus(loadCorpus(spec.corpus), spec.chunk_chars, spec.max_chunks);
  } catch (err) {
    return plainResult(name, kind, 'error', `failed to load corpus '${spec.corpus}': ${(err as Error).message}`);
  }
  if (chunks.length === 0) {
    return plainResult(name, kind, 'error', `corpus '${spec.corpus}' chunked to zero pieces (chunk_chars=${spec.chunk_chars}, max_chunks=${spec.max_chunks})`);
  }
  const backend = requireBackend(ctx, name);
  const deltas: number[] = [];
  let baseTotal = 0;
  let baseN = 0;
  let ftTotal = 0;
  let ftN = 0;
  for (const chunk of chunks) {
    const b = await backend.asBase((v) => v.rollingLogprob(chunk));
    const f = await backend.asFinetuned((v) => v.rollingLogprob(chunk));
    const bn = Math.max(b.logprobs.length, 1);
    const fnum = Math.max(f.logprobs.length, 1);
    const delta = f.totalLogprob / fnum - b.totalLogprob / bn;
    if (!Number.isFinite(delta)) continue;
    deltas.push(delta);
    baseTotal += b.totalLogprob;
    baseN += bn;
    ftTotal += f.totalLogprob;
    ftN += fnum;
  }
  if (deltas.length === 0) return plainResult(name, kind, 'error', 'every chunk produced a non-finite delta');
  const meanDelta = mean(deltas);
  const baseValue = baseTotal / Math.max(baseN, 1);
  const ftValue = ftTotal / Math.max(ftN, 1);
  const ci = bootstrapCi(deltas, { seed: ctx.seed });
  const z = zScore(meanDelta, getNullStats(ctx, KIND));
  const evidence = {
    corpus: spec.corpus,
    chunk_chars: spec.chunk_chars,
    num_chunks: deltas.length,
    per_chunk_delta: deltas,
    base_mean_logprob_per_tok: baseValue,
    ft_mean_logprob_per_tok: ftValue,
    weight: spec.weight,
    z_by_rank: zScoresByRank(meanDelta, getNullStatsByRank(ctx, KIND)),
    raw_ci_95: ci,
  };
  const common = { name, kind, raw: meanDelta, base_value: baseValue, ft_value: ftValue, evidence, ci_95: ci };
  const head = `external_ppl delta=${signedFixed(meanDelta, 3)} nats/tok`;
  if (z !== null) {
    return safeFinalize({ ...common, verdict: verdictFromZ(z, spec.assert_z_gte)!, score: scoreFromZ(z), z_score: z, message: `${head}, z=${signedFixed(z, 2)}σ vs null (higher-is-better)` });
  }
  const pass = meanDelta >= spec.assert_mean_delta_gte;
  return safeFinalize({
    ...common,
    verdict: pass ? 'pass' : 'fail',
    score: clamp01(0.5 + meanDelta),
    message: `${head} (${pass ? '≥' : '<'} ${pyFloat(spec.assert_mean_delta_gte)}) ${noCalibrationNote(KIND)}`,
  });
}

export const externalPerplexityProbe: ProbeDefinition<ExternalPerplexitySpec> = {
  kind: KIND,
  category: 'calibration',
  schema: externalPerplexitySchema as unknown as ProbeDefinition<ExternalPerplexitySpec>['schema'],
  needsBackend: true,
  summary: 'Per-token log-probability change on a shipped public-domain English corpus (diffuse forgetting).',
  run: runExternalPerplexity,
  calibrateSpec: () => externalPerplexitySchema.parse({ name: '_calibration', max_chunks: 4 }),
};
