/**
 * The /v1/completions request bodies sway sends and the parsing of what comes back,
 * validated with zod. Shapes follow the OpenAI legacy completions API as vLLM and
 * llama-cpp-python implement it: `echo: true` returns the prompt's tokens with their
 * logprobs (the first one null), `logprobs: k` returns the top-k alternatives per position.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RollingLogprob, TokenDist } from '../../core/results.js';
import { HttpBackendError } from './errors.js';

const LogprobsSchema = z.object({
  tokens: z.array(z.string()),
  token_logprobs: z.array(z.number().nullable()),
  top_logprobs: z.array(z.record(z.string(), z.number()).nullable()).nullable().optional(),
  text_offset: z.array(z.number()).optional(),
});

const ChoiceSchema = z.object({
  text: z.string(),
  logprobs: LogprobsSchema.nullable().optional(),
});

export const CompletionResponseSchema = z.object({
  choices: z.array(ChoiceSchema).min(1),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative() }).partial().nullable().optional(),
});

export type CompletionResponse = z.infer<typeof CompletionResponseSchema>;

/** Validates a response body or throws one 'malformed' error naming the request. */
export function parseCompletion(body: unknown, what: string): CompletionResponse {
  const r = CompletionResponseSchema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unexpected shape';
    throw new HttpBackendError('malformed', `malformed response to ${what} (${where}) — is base_url an OpenAI-compatible /v1/completions server?`);
  }
  return r.data;
}

export interface ScoringBodyOptions {
  /** Tokens to generate beside the echo: 0 where the server allows it (vLLM), else 1. */
  maxTokens: number;
}

export function echoBody(model: string, text: string, o: ScoringBodyOptions & { logprobs?: number }): Record<string, unknown> {
  return { model, prompt: text, max_tokens: o.maxTokens, echo: true, logprobs: o.logprobs ?? 0, temperature: 0 };
}

export function nextTokenBody(model: string, prompt: string, k: number): Record<string, unknown> {
  return { model, prompt, max_tokens: 1, echo: false, logprobs: k, temperature: 0 };
}

/** The echoed prompt's tokens and logprobs (generated tokens, if any, cut off). */
export function echoedTokens(resp: CompletionResponse, text: string, what: string): { tokens: string[]; logprobs: (number | null)[] } {
  const lp = resp.choices[0]!.logprobs;
  if (!lp) throw new HttpBackendError('malformed', `${what}: the response has no logprobs — the server ignored echo/logprobs (llama-cpp-python needs logits_all: true)`);
  if (lp.tokens.length !== lp.token_logprobs.length) {
    throw new HttpBackendError('malformed', `${what}: tokens (${lp.tokens.length}) and token_logprobs (${lp.token_logprobs.length}) differ in length`);
  }
  let n = resp.usage?.prompt_tokens ?? null;
  if (n === null || n > lp.tokens.length) {
    // No usage: keep the tokens whose text lies inside the echoed text.
    n = 0;
    let chars = 0;
    while (n < lp.tokens.length && chars < text.length) chars += lp.tokens[n++]!.length;
  }
  if (n === 0) throw new HttpBackendError('malformed', `${what}: the server echoed no prompt tokens`);
  return { tokens: lp.tokens.slice(0, n), logprobs: lp.token_logprobs.slice(0, n) };
}

/**
 * llama-cpp-python (through 0.3.36, without a BOS token) pairs each echoed token with the
 * distribution computed *after* it (abetlen/llama-cpp-python#1983): token_logprobs[i] is
 * not log p(token i | tokens < i). The right value sits in top_logprobs[i-1] under token
 * i's text, so sway asks for enough alternatives and reads it there. top_logprobs[0] is
 * always null, so token 1 is left null for the caller to fill with one more request.
 */
export function realignShiftedEcho(resp: CompletionResponse, echoed: { tokens: string[] }, what: string): { tokens: string[]; logprobs: (number | null)[] } {
  const tops = resp.choices[0]!.logprobs?.top_logprobs;
  if (!tops) throw new HttpBackendError('malformed', `${what}: the response has no top_logprobs to realign llama-cpp-python's echo logprobs`);
  const logprobs: (number | null)[] = echoed.tokens.map(() => null);
  for (let i = 2; i < echoed.tokens.length; i++) {
    const tok = echoed.tokens[i]!;
    const dist = tops[i - 1];
    // The server overwrote the entry of token i-1's own text; equal texts cannot be told apart.
    const v = dist && tok !== echoed.tokens[i - 1] ? dist[tok] : undefined;
    if (v === undefined) {
      throw new HttpBackendError('malformed', `${what}: token ${i} (${JSON.stringify(tok)}) is not among the alternatives llama-cpp-python returned for its position — raise top_logprobs to the vocabulary size`);
    }
    logprobs[i] = v;
  }
  return { tokens: echoed.tokens, logprobs };
}

/** log p(token) from a next-token response's alternatives, looked up by the token's text. */
export function lookupNext(resp: CompletionResponse, token: string, what: string): number {
  const v = resp.choices[0]!.logprobs?.top_logprobs?.[0]?.[token];
  if (v === undefined) throw new HttpBackendError('malformed', `${what}: token ${JSON.stringify(token)} is not among the returned alternatives — raise top_logprobs to the vocabulary size`);
  return finite(v, what);
}

function finite(v: number | null, what: string): number {
  if (v === null || !Number.isFinite(v)) throw new HttpBackendError('malformed', `${what}: non-finite or missing logprob (${v})`);
  return v;
}

/**
 * Sum of the completion's token logprobs. The split follows the reference: walk the
 * echoed tokens adding their text lengths; the first token that reaches the prompt's
 * length is the prompt's last token (a token straddling the boundary counts as prompt).
 */
export function completionLogprob(echoed: { tokens: string[]; logprobs: (number | null)[] }, prompt: string, what: string): number {
  let split = 0;
  if (prompt.length > 0) {
    let chars = 0;
    for (let i = 0; i < echoed.tokens.length; i++) {
      chars += echoed.tokens[i]!.length;
      if (chars >= prompt.length) {
        split = i + 1;
        break;
      }
    }
  }
  if (split >= echoed.tokens.length) throw new HttpBackendError('malformed', `${what}: completion tokenized to zero tokens`);
  let total = 0;
  for (let i = Math.max(split, 1); i < echoed.tokens.length; i++) total += finite(echoed.logprobs[i] ?? null, what);
  return total;
}

export function rollingFromEcho(echoed: { tokens: string[]; logprobs: (number | null)[] }, what: string): RollingLogprob {
  const lps = new Float64Array(Math.max(0, echoed.tokens.length - 1));
  let total = 0;
  for (let i = 1; i < echoed.tokens.length; i++) {
    const v = finite(echoed.logprobs[i] ?? null, what);
    lps[i - 1] = v;
    total += v;
  }
  return { tokenIds: Int32Array.from(echoed.tokens.map(tokenId)), logprobs: lps, numTokens: echoed.tokens.length, totalLogprob: total };
}

/**
 * A stable id for a token string. vLLM with `return_tokens_as_token_ids` sends
 * `token_id:N`; other servers send the token's text, which gets a 31-bit hash so the same
 * token has the same id in every view and every run.
 */
export function tokenId(token: string): number {
  const m = /^token_id:(\d+)$/.exec(token);
  if (m) return Number(m[1]);
  return createHash('sha1').update(token, 'utf8').digest().readUInt32LE(0) & 0x7fffffff;
}

/** Top-k next-token distribution from the first generated position's alternatives. */
export function nextTokenDist(resp: CompletionResponse, topK: number, vocabSize: number | null, what: string): TokenDist {
  const top = resp.choices[0]!.logprobs?.top_logprobs?.[0];
  if (!top || Object.keys(top).length === 0) {
    throw new HttpBackendError('malformed', `${what}: the response has no top_logprobs for the first token — the server ignored logprobs`);
  }
  const entries = Object.entries(top)
    .map(([tok, lp]) => [tokenId(tok), finite(lp, what)] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, topK);
  const mass = entries.reduce((s, [, lp]) => s + Math.exp(lp), 0);
  const k = entries.length;
  let tail: number | null = null;
  if (vocabSize === null || vocabSize > k) {
    const residual = 1 - mass;
    tail = residual > 1e-12 ? Math.log(residual) : 0;
  }
  return {
    tokenIds: Int32Array.from(entries.map(([id]) => id)),
    logprobs: Float64Array.from(entries.map(([, lp]) => lp)),
    vocabSize: vocabSize ?? k,
    tailLogprob: tail,
  };
}

export function generatedText(resp: CompletionResponse): string {
  return resp.choices[0]!.text;
}
