/**
 * prompt_collapse: prepends growing amounts of irrelevant context and fits how fast the
 * base-vs-ft divergence decays: half-life in tokens of an exponential fit.
 */
import { z } from 'zod';
import type { TokenizerAccess } from '../backends/contract.js';
import { divergence } from '../core/divergence.js';
import { plainResult, safeFinalize } from '../core/finalize.js';
import { fixed, signedFixed } from '../core/pyformat.js';
import { laxBool, laxFloat, laxInt } from '../core/schema.js';
import { lsSlope, mean } from '../core/stats.js';
import { noCalibrationNote, scoreFromZ, verdictFromZ, zScore, zScoresByRank } from '../core/zscore.js';
import { getNullStats, getNullStatsByRank, requireBackend } from './context.js';
import { divergenceKindSchema, probeSchema } from './spec-base.js';
import type { ProbeDefinition, RunContext } from './types.js';
import { baseAndFtDists } from './views.js';

export const promptCollapseSchema = probeSchema('prompt_collapse', {
  prompts: z.array(z.string()).default([]),
  context_lengths: z.array(laxInt).min(2).default([0, 256, 512, 1024]),
  divergence: divergenceKindSchema,
  top_k: laxInt.nullable().default(null),
  assert_half_life_tokens: laxInt.default(512),
  assert_z_gte: laxFloat.default(3.0),
  legacy_stuffing: laxBool.default(false),
});
export type PromptCollapseSpec = z.output<typeof promptCollapseSchema>;

const FILLER =
  'The following log lines are archived for historical record and have no bearing on the question that follows. ' +
  'They are retained for audit purposes only and should be ignored when forming an answer. ';

/**
 * About `tokens` tokens of irrelevant text. With a tokenizer the filler sentence block is
 * cut at exactly `tokens` tokens (plain text, so no special tokens leak into the prefix);
 * without one, 4 characters per token are assumed.
 */
export function stuffing(tokens: number, tok: TokenizerAccess | null): string {
  if (tokens <= 0) return '';
  const chars = 4 * tokens;
  const legacy = (): string => FILLER.repeat(Math.floor(chars / FILLER.length) + 1).slice(0, chars) + '\n\n';
  if (!tok) return legacy();
  try {
    const raw = FILLER.repeat(Math.floor(chars / FILLER.length) + 2);
    const ids = tok.encode(raw);
    if (ids.length <= tokens) return raw + '\n\n';
    return tok.decode(ids.slice(0, tokens)) + '\n\n';
  } catch {
    return legacy();
  }
}

/** ln2 / -slope of ln(y) on x; null if any y ≤ 0, x is constant or the slope is ≥ 0. */
export function fitHalfLife(x: readonly number[], y: readonly number[]): number | null {
  if (y.some((v) => !(v > 0))) return null;
  const slope = lsSlope(x, y.map(Math.log));
  if (slope === null || slope >= 0) return null;
  return Math.LN2 * (-1 / slope);
}

async function run(spec: PromptCollapseSpec, ctx: RunContext) {
  const started = performance.now();
  if (spec.prompts.length === 0) return plainResult(spec.name, spec.kind, 'error', 'no prompts provided', { weight: spec.weight });
  const backend = requireBackend(ctx, spec.name);
  const tok = spec.legacy_stuffing ? null : (backend.tokenizer?.() ?? null);
  const topK = spec.top_k ?? ctx.topK;
  const curve: number[] = [];
  for (const L of spec.context_lengths) {
    const prefix = stuffing(L, tok);
    const full = spec.prompts.map((p) => prefix + p);
    const [base, ft] = await baseAndFtDists(backend, full, topK);
    curve.push(mean(full.map((_, i) => divergence(base[i]!, ft[i]!, spec.divergence))));
  }
  const h = fitHalfLife(spec.context_lengths, curve);
  const z = h === null ? null : zScore(h, getNullStats(ctx, spec.kind));
  const zByRank = h === null ? null : zScoresByRank(h, getNullStatsByRank(ctx, spec.kind), 1);
  let verdict = verdictFromZ(z, spec.assert_z_gte);
  let score = scoreFromZ(z);
  let message: string;
  if (verdict !== null && z !== null && h !== null) {
    message = `half-life=${fixed(h, 0)} tokens, z=${signedFixed(z, 2)}σ vs null`;
  } else if (h === null) {
    verdict = 'fail';
    score = 0;
    message = 'could not fit exponential decay (too flat or non-monotonic)';
  } else {
    verdict = h >= spec.assert_half_life_tokens ? 'pass' : 'fail';
    score = Math.min(1, h / Math.max(spec.assert_half_life_tokens, 1));
    message = `half-life=${fixed(h, 0)} tokens ${noCalibrationNote(spec.kind)}`;
  }
  return safeFinalize({
    name: spec.name,
    kind: spec.kind,
    verdict,
    score,
    raw: h,
    z_score: z,
    evidence: {
      context_lengths: [...spec.context_lengths],
      mean_divergence_per_length: curve,
      divergence_kind: spec.divergence,
      stuffing: tok ? 'tokenizer' : 'chars',
      weight: spec.weight,
      z_by_rank: zByRank,
    },
    message,
    duration_s: (performance.now() - started) / 1000,
  });
}

export const promptCollapseProbe: ProbeDefinition<PromptCollapseSpec> = {
  kind: 'prompt_collapse',
  category: 'adherence',
  schema: promptCollapseSchema,
  needsBackend: true,
  summary: 'Half-life (tokens) of the adapter effect as irrelevant context is prepended.',
  run,
  // A null adapter has no decay to fit.
  calibrateSpec: () => null,
};
