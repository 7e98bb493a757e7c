/**
 * Fitting the inputs a probe builds itself to the model's context. prompt_collapse pads
 * prompts with irrelevant prefixes and external_perplexity scores long corpus chunks;
 * neither may hand the model more tokens than it has positions, and neither should blame
 * the user's prompt when it would. Long texts are scored in overlapping windows, the way
 * lm-evaluation-harness computes a rolling log-likelihood: every token is predicted once,
 * each window after the first conditioned on the tail of the text before it.
 */
import type { DifferentialBackend, ScoringView, TokenizerAccess } from '../backends/contract.js';

/** Tokens kept free for special tokens and re-tokenization drift at window edges. */
export const CONTEXT_SLACK = 8;

/** The most tokens one input may have, or null when the backend does not say. */
export function contextLimit(backend: DifferentialBackend): number | null {
  const n = backend.maxInputTokens?.() ?? null;
  return n !== null && Number.isFinite(n) && n > CONTEXT_SLACK ? n : null;
}

export interface FittedLengths {
  /** The context lengths to run, ascending as given, all of which fit. */
  lengths: number[];
  /** Requested lengths that did not fit. */
  dropped: number[];
  /** Prefix tokens that fit in front of the longest prompt (null when unlimited or uncountable). */
  room: number | null;
}

/**
 * prompt_collapse: keeps the context lengths whose prefix fits in front of the longest
 * prompt; when some do not, the largest prefix that does fit takes their place, so the
 * decay curve still reaches the model's full context.
 */
export function fitContextLengths(lengths: readonly number[], prompts: readonly string[], tok: TokenizerAccess | null, limit: number | null): FittedLengths {
  if (limit === null || tok === null || prompts.length === 0) return { lengths: [...lengths], dropped: [], room: null };
  const longest = Math.max(...prompts.map((p) => tok.encode(p).length));
  const room = limit - longest - CONTEXT_SLACK;
  const kept = lengths.filter((L) => L <= room);
  const dropped = lengths.filter((L) => L > room);
  if (dropped.length && room > 0 && kept.every((L) => L < room)) kept.push(room);
  return { lengths: kept, dropped, room };
}

export interface ScoredText {
  totalLogprob: number;
  /** Tokens whose log-probability is in the total. */
  scored: number;
  /** Model inputs used (1 when the text fit in one). */
  windows: number;
}

/**
 * Log-likelihood of `text` under `view`: one rolling pass when it fits in `limit` tokens,
 * else windows of at most `limit - CONTEXT_SLACK` tokens that each score the next half
 * window given the half window before it.
 */
export async function scoreLongText(view: ScoringView, text: string, tok: TokenizerAccess | null, limit: number | null): Promise<ScoredText> {
  const ids = limit !== null && tok !== null ? tok.encode(text) : null;
  if (ids === null || ids.length <= limit! - CONTEXT_SLACK) {
    const r = await view.rollingLogprob(text);
    return { totalLogprob: r.totalLogprob, scored: r.logprobs.length, windows: 1 };
  }
  const width = limit! - CONTEXT_SLACK;
  const stride = Math.max(1, Math.floor(width / 2));
  const first = await view.rollingLogprob(tok!.decode(ids.slice(0, width)));
  let total = first.totalLogprob;
  let scored = first.logprobs.length;
  let windows = 1;
  for (let start = width; start < ids.length; start += stride) {
    const end = Math.min(start + stride, ids.length);
    const context = tok!.decode(ids.slice(Math.max(0, start - (width - stride)), start));
    const target = tok!.decode(ids.slice(start, end));
    if (!target) continue;
    total += await view.logprobOf(context, target);
    scored += end - start;
    windows++;
  }
  return { totalLogprob: total, scored, windows };
}
