/**
 * Generation: greedy by default, seeded temperature / top-p sampling with the project Rng.
 * The prompt runs once; each new token is one single-position step on the KV cache.
 */
import { Rng } from '../core/rng.js';
import type { GenerateOptions } from '../backends/contract.js';
import type { DecoderSession, KvCache } from './session.js';
import type { Tokenizer } from './types.js';
import type { ViewFeeds } from './views.js';
import { logSoftmax } from './scoring.js';

export function pickToken(logprobs: Float64Array, temperature: number, topP: number, rng: Rng | null): number {
  if (temperature <= 0 || !rng) {
    let best = 0;
    for (let i = 1; i < logprobs.length; i++) if (logprobs[i]! > logprobs[best]!) best = i;
    return best;
  }
  const scaled = Array.from(logprobs, (x, i) => ({ i, w: x / temperature }));
  const max = Math.max(...scaled.map((s) => s.w));
  let z = 0;
  for (const s of scaled) z += (s.w = Math.exp(s.w - max));
  scaled.sort((a, b) => b.w - a.w || a.i - b.i);
  const keep: typeof scaled = [];
  let mass = 0;
  for (const s of scaled) {
    keep.push(s);
    mass += s.w / z;
    if (mass >= topP) break;
  }
  const total = keep.reduce((a, s) => a + s.w, 0);
  let u = rng.next() * total;
  for (const s of keep) {
    u -= s.w;
    if (u <= 0) return s.i;
  }
  return keep[keep.length - 1]!.i;
}

export async function generateIds(session: DecoderSession, view: ViewFeeds, promptIds: readonly number[], maxNewTokens: number, opts: { temperature?: number; topP?: number; seed?: number; eos?: readonly number[]; stopCheck?: (ids: number[]) => boolean }): Promise<number[]> {
  const out: number[] = [];
  const rng = opts.temperature && opts.temperature > 0 ? new Rng(opts.seed ?? 0) : null;
  const vocab = session.arch.vocabSize;
  let pending: readonly number[] = promptIds;
  let cache: KvCache | null = null;
  for (let step = 0; step < maxNewTokens; step++) {
    const r: { logits: Float32Array; cache: KvCache } = await session.forwardCached({ ids: pending, view, positions: [pending.length - 1] }, cache);
    cache = r.cache;
    const next = pickToken(logSoftmax(r.logits, 0, vocab), opts.temperature ?? 0, opts.topP ?? 1, rng);
    if (opts.eos?.includes(next)) break;
    pending = [next];
    out.push(next);
    if (opts.stopCheck?.(out)) break;
  }
  return out;
}

export async function generateText(session: DecoderSession, tokenizer: Tokenizer, view: ViewFeeds, promptIds: readonly number[], o: GenerateOptions): Promise<string> {
  const stops = o.stop ?? [];
  const out = await generateIds(session, view, promptIds, o.maxNewTokens, {
    temperature: o.temperature,
    topP: o.topP,
    seed: o.seed,
    eos: tokenizer.eosTokenIds,
    stopCheck: stops.length ? (ids) => stops.some((s) => tokenizer.decode(ids).includes(s)) : undefined,
  });
  let text = tokenizer.decode(out, { skipSpecialTokens: true });
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0) text = text.slice(0, i);
  }
  return text;
}
