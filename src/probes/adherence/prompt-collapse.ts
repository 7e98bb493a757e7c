/**
 * prompt_collapse: prepends growing amounts of irrelevant context and fits the decay of
 * the base-vs-ft divergence; a short half-life means the adapter's influence collapses
 * when the prompt gets long.
 */
import { z } from 'zod';
import { divergence } from '../../core/divergence.js';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import type { TokenDist, Verdict } from '../../core/results.js';
import { linearFit, mean } from '../../core/stats.js';
import type { TokenizerAccess } from '../../backends/contract.js';
import { contextLimit, fitContextLengths } from '../context-fit.js';
import { baseFields, distsForViews, requireBackend } from '../common.js';
import { pyIsBlank, pySlice } from '../pytext.js';
import { calibrate, judgeEffect, zSuffix } from '../verdict.js';
import type { ProbeDefinition } from '../types.js';

export const PromptCollapseSpec = z
  .object({
    ...baseFields,
    kind: z.literal('prompt_collapse'),
    prompts: z.array(z.string()).default([]),
    context_lengths: z.array(z.number().int().min(0)).min(2).default([0, 256, 512, 1024]),
    divergence: z.enum(['js', 'kl']).default('js'),
    top_k: z.number().int().positive().nullable().default(null),
    assert_half_life_tokens: z.number().int().default(512),
    assert_z_gte: z.number().default(3.0),
    legacy_stuffing: z.boolean().default(false),
  })
  .strict();
export type PromptCollapseSpec = z.infer<typeof PromptCollapseSpec>;

const FILLER =
  'The following log lines are archived for historical record and have no bearing on the question that follows. ' +
  'They are retained for audit purposes only and should be ignored when forming an answer. ';

/** Why a tokenizer's stuffing is not the reference's pad-token stuffing, or null when it is. */
export function stuffingFallback(tok: TokenizerAccess | null): string | null {
  if (!tok || (tok.padToken && tok.decodeKeepingSpecialTokens)) return null;
  return "the backend's tokenizer does not expose its pad token; the prefix repeats ' the' instead";
}

/**
 * About `length` tokens of irrelevant prefix. With a tokenizer, as the reference: the pad
 * token (a blank one becomes ' ') repeated 2·length + 4 times, cut to `length` tokens (BOS
 * included when encode adds one) and decoded with special tokens kept; without one, ~4
 * characters of English filler per token.
 */
export function stuffing(length: number, tok: TokenizerAccess | null): string {
  if (length <= 0) return '';
  if (tok) {
    const keepSpecial = tok.padToken && tok.decodeKeepingSpecialTokens ? tok.decodeKeepingSpecialTokens.bind(tok) : null;
    const padText = keepSpecial ? (tok.padToken!() ?? ' ') : ' the';
    const pad = pyIsBlank(padText) ? ' ' : padText;
    const raw = pad.repeat(2 * length + 4);
    let ids: number[];
    try {
      ids = tok.encode(raw);
    } catch {
      return `${pySlice(raw, 0, 4 * length)}\n\n`;
    }
    if (ids.length <= length) return `${raw}\n\n`;
    const kept = ids.slice(0, length);
    return `${keepSpecial ? keepSpecial(kept) : tok.decode(kept)}\n\n`;
  }
  const chars = 4 * length;
  return `${FILLER.repeat(Math.floor(chars / FILLER.length) + 1).slice(0, chars)}\n\n`;
}

export function fitHalfLife(lengths: readonly number[], ys: readonly number[]): number | null {
  if (ys.some((y) => !(y > 0))) return null;
  const fit = linearFit(lengths, ys.map(Math.log));
  if (!fit || fit.slope >= 0) return null;
  return Math.LN2 * (-1 / fit.slope);
}

export const promptCollapse: ProbeDefinition<PromptCollapseSpec> = {
  kind: 'prompt_collapse',
  category: 'adherence',
  schema: PromptCollapseSpec,
  needsBackend: true,
  summary: 'half-life (tokens of irrelevant prefix) of the adapter effect',
  calibrateSpec: () => null,
  async run(spec, ctx) {
    if (!spec.prompts.length) return plainResult(spec.name, spec.kind, 'error', 'no prompts provided', { weight: spec.weight });
    const backend = requireBackend(ctx, spec.name);
    const tok = spec.legacy_stuffing ? null : (backend.tokenizer?.() ?? null);
    const fallback = stuffingFallback(tok);
    const fit = fitContextLengths(spec.context_lengths, spec.prompts, tok, contextLimit(backend));
    if (fit.lengths.length < 2) {
      return plainResult(spec.name, spec.kind, 'error', `the model's context leaves room for ${Math.max(0, fit.room ?? 0)} tokens of prefix in front of the longest prompt, too few for two context lengths; use shorter prompts`, { weight: spec.weight, context_lengths_dropped: fit.dropped });
    }
    const curve: number[] = [];
    for (const L of fit.lengths) {
      const prefix = stuffing(L, tok);
      const full = spec.prompts.map((p) => prefix + p);
      const [base, ft] = (await distsForViews(backend, [{ kind: 'base' }, { kind: 'ft' }], full, spec.top_k ?? ctx.topK)) as [TokenDist[], TokenDist[]];
      curve.push(mean(full.map((_, i) => divergence(base[i]!, ft[i]!, spec.divergence))));
    }
    const h = fitHalfLife(fit.lengths, curve);
    const cal = h === null ? null : calibrate(ctx, 'prompt_collapse', h);
    const z = cal?.z ?? null;
    let verdict: Verdict;
    let score: number | null;
    let message: string;
    if (cal && z !== null) {
      ({ verdict, score } = judgeEffect(cal, spec.assert_z_gte, () => ({ verdict: 'fail', score: 0 })));
      message = `half-life=${h!.toFixed(0)} tokens${zSuffix(cal)}`;
    } else if (h === null) {
      verdict = 'fail';
      score = 0;
      message = 'could not fit exponential decay (too flat or non-monotonic)';
    } else {
      verdict = h >= spec.assert_half_life_tokens ? 'pass' : 'fail';
      score = Math.min(1, h / Math.max(spec.assert_half_life_tokens, 1));
      message = `half-life=${h.toFixed(0)} tokens (${h >= spec.assert_half_life_tokens ? '≥' : '<'} ${spec.assert_half_life_tokens})${cal ? zSuffix(cal) : ''}`;
    }
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict,
      score,
      raw: h,
      z_score: z,
      message,
      criticalFields: [],
      evidence: {
        context_lengths: fit.lengths,
        context_lengths_dropped: fit.dropped,
        mean_divergence_per_length: curve,
        divergence_kind: spec.divergence,
        weight: spec.weight,
        ...(fallback ? { stuffing_fallback: fallback } : {}),
        ...(cal ? cal.evidence : { z_by_rank: null }),
      },
    });
  },
};
