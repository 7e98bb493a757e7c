/**
 * Fitting the inputs a probe builds itself to the model's context. prompt_collapse pads
 * prompts with irrelevant prefixes and external_perplexity scores long corpus chunks;
 * neither may hand the model more tokens than it has positions, and neither should blame
 * the user's prompt when it would. Long texts are scored in overlapping windows, the way
 * lm-evaluation-harness computes a rolling log-likelihood: every token is predicted once,
 * each window after the first conditioned on the tail of the text before it.
 */
import type { DifferentialBackend, ScoringView, TokenizerAccess, ViewSelector } from '../backends/contract.js';
import { logprobsForViews, rollingForViews } from './common.js';

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
  const plan = planText(text, tok, limit);
  const head = await view.rollingLogprob(plan.head);
  let total = head.totalLogprob;
  let scored = head.logprobs.length;
  for (const w of plan.windows) {
    total += await view.logprobOf(w.context, w.target);
    scored += w.tokens;
  }
  return { totalLogprob: total, scored, windows: 1 + plan.windows.length };
}

/** How one text is scored: a rolling pass over `head`, then each window's target given its context. */
interface TextPlan {
  head: string;
  windows: { context: string; target: string; tokens: number }[];
}

function planText(text: string, tok: TokenizerAccess | null, limit: number | null): TextPlan {
  const ids = limit !== null && tok !== null ? tok.encode(text) : null;
  if (ids === null || ids.length <= limit! - CONTEXT_SLACK) return { head: text, windows: [] };
  const width = limit! - CONTEXT_SLACK;
  const stride = Math.max(1, Math.floor(width / 2));
  const windows: TextPlan['windows'] = [];
  for (let start = width; start < ids.length; start += stride) {
    const end = Math.min(start + stride, ids.length);
    const target = tok!.decode(ids.slice(start, end));
    if (!target) continue;
    windows.push({ context: tok!.decode(ids.slice(Math.max(0, start - (width - stride)), start)), target, tokens: end - start });
  }
  return { head: tok!.decode(ids.slice(0, width)), windows };
}

/**
 * scoreLongText for several texts under several views at once: result[v][t], equal to
 * scoreLongText(view v, text t). Every rolling pass goes in one multi-view call and every
 * later window in one more, so the backend can batch them. `onText` hears how many texts
 * are fully scored.
 */
export async function scoreLongTexts(
  backend: DifferentialBackend,
  views: readonly ViewSelector[],
  texts: readonly string[],
  tok: TokenizerAccess | null,
  limit: number | null,
  onText?: (done: number) => void,
): Promise<ScoredText[][]> {
  const plans = texts.map((t) => planText(t, tok, limit));
  const whole = plans.filter((p) => p.windows.length === 0).length;
  const heads = await rollingForViews(backend, views, plans.map((p) => p.head), whole === texts.length ? onText : undefined);
  const pairs = plans.flatMap((p) => p.windows.map((w) => ({ prompt: w.context, completion: w.target })));
  let windowLps: number[][] = views.map(() => []);
  if (pairs.length) {
    if (whole > 0) onText?.(whole);
    windowLps = await logprobsForViews(backend, views, pairs);
    onText?.(texts.length);
  }
  return views.map((_, vi) => {
    let k = 0;
    return plans.map((p, ti) => {
      const head = heads[vi]![ti]!;
      let total = head.totalLogprob;
      let scored = head.logprobs.length;
      for (const w of p.windows) {
        total += windowLps[vi]![k++]!;
        scored += w.tokens;
      }
      return { totalLogprob: total, scored, windows: 1 + p.windows.length };
    });
  });
}
