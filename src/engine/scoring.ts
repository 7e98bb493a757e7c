/**
 * Scoring primitives over the decoder session (cli-backends.md §6.3): log-softmax in
 * float64 on the JS side, top-k with the three tail_logprob states.
 */
import { ProbeError } from '../core/errors.js';
import type { RollingLogprob, TokenDist } from '../core/results.js';
import type { DecoderSession, ForwardRow } from './session.js';
import type { Tokenizer } from './types.js';
import type { ViewFeeds } from './views.js';

/** log-softmax of one logits row (float64). */
export function logSoftmax(logits: Float32Array, offset: number, vocab: number): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) max = Math.max(max, logits[offset + i]!);
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp(logits[offset + i]! - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(vocab);
  for (let i = 0; i < vocab; i++) out[i] = logits[offset + i]! - lse;
  return out;
}

export function topK(logprobs: Float64Array, k: number): TokenDist {
  const vocab = logprobs.length;
  const kk = Math.max(1, Math.min(Math.floor(k), vocab));
  const order = Array.from({ length: vocab }, (_, i) => i).sort((a, b) => logprobs[b]! - logprobs[a]! || a - b).slice(0, kk);
  const lp = Float64Array.from(order, (i) => logprobs[i]!);
  let tail: number | null = null;
  if (kk < vocab) {
    let mass = 0;
    for (const x of lp) mass += Math.exp(x);
    const rest = 1 - mass;
    tail = rest <= 1e-12 ? 0 : Math.log(rest);
  }
  return { tokenIds: Int32Array.from(order), logprobs: lp, vocabSize: vocab, tailLogprob: tail };
}

export class Scorer {
  constructor(
    private readonly session: DecoderSession,
    private readonly tokenizer: Tokenizer,
  ) {}

  get vocab(): number {
    return this.session.arch.vocabSize;
  }

  encodePrompt(prompt: string): number[] {
    const ids = this.tokenizer.encode(prompt, { addSpecialTokens: true });
    if (ids.length === 0) throw new ProbeError('scoring', `prompt ${JSON.stringify(prompt.slice(0, 40))} encodes to zero tokens and the tokenizer adds no BOS; give a non-empty prompt`);
    return ids;
  }

  /** Prompt ids and completion ids (the completion tokenized as the continuation of the prompt). */
  split(prompt: string, completion: string): { ids: number[]; start: number } {
    const promptIds = this.encodePrompt(prompt);
    const full = this.tokenizer.encode(prompt + completion, { addSpecialTokens: true });
    let start = 0;
    while (start < promptIds.length && start < full.length && full[start] === promptIds[start]) start++;
    if (start === full.length) throw new ProbeError('logprob_of', `completion ${JSON.stringify(completion)} adds zero tokens after the prompt; logprob_of needs a non-empty completion`);
    if (start === 0) throw new ProbeError('logprob_of', `prompt ${JSON.stringify(prompt.slice(0, 40))} shares no tokens with prompt+completion; cannot score`);
    return { ids: full, start };
  }

  async nextTokenDists(requests: readonly { view: ViewFeeds; prompt: string }[], k: number): Promise<TokenDist[]> {
    const rows: ForwardRow[] = requests.map((r) => {
      const ids = this.encodePrompt(r.prompt);
      return { ids, view: r.view, positions: [ids.length - 1] };
    });
    const logits = await this.session.forward(rows);
    return rows.map((_, i) => topK(logSoftmax(logits, i * this.vocab, this.vocab), k));
  }

  async logprobs(requests: readonly { view: ViewFeeds; prompt: string; completion: string }[]): Promise<number[]> {
    const splits = requests.map((r) => this.split(r.prompt, r.completion));
    const rows: ForwardRow[] = requests.map((r, i) => {
      const { ids, start } = splits[i]!;
      return { ids, view: r.view, positions: range(start - 1, ids.length - 1) };
    });
    const logits = await this.session.forward(rows);
    let n = 0;
    return splits.map(({ ids, start }) => {
      let total = 0;
      for (let p = start; p < ids.length; p++) total += logSoftmax(logits, n++ * this.vocab, this.vocab)[ids[p]!]!;
      return total;
    });
  }

  async rolling(view: ViewFeeds, text: string): Promise<RollingLogprob> {
    const ids = this.encodePrompt(text);
    const logprobs = new Float64Array(Math.max(0, ids.length - 1));
    if (ids.length > 1) {
      const logits = await this.session.forward([{ ids, view, positions: range(0, ids.length - 1) }]);
      for (let p = 1; p < ids.length; p++) logprobs[p - 1] = logSoftmax(logits, (p - 1) * this.vocab, this.vocab)[ids[p]!]!;
    }
    return { tokenIds: Int32Array.from(ids), logprobs, numTokens: ids.length, totalLogprob: logprobs.reduce((a, b) => a + b, 0) };
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
