/**
 * KV-cache greedy generation beside the same decoding done the slow way: argmax over a
 * full forward at every step (no cache). The engine tests compare the two per family.
 */
import type { Engine } from '../../src/engine/engine.js';

export interface GreedyPair {
  /** Tokens from the engine's KV-cache generation. */
  generated: number[];
  /** Tokens from argmax over full forwards, stopping at EOS like generation does. */
  expected: number[];
}

export async function greedyBesideFullForwards(engine: Engine, prompt: readonly number[], maxNewTokens: number): Promise<GreedyPair> {
  const generated = await engine.generateIds(engine.resolveView({ kind: 'ft' }), [...prompt], { maxNewTokens });
  const V = engine.arch.vocabSize;
  const eos = new Set(engine.tokenizer.eosTokenIds);
  const expected: number[] = [];
  let ids = [...prompt];
  for (let step = 0; step < maxNewTokens; step++) {
    const logits = await engine.fullLogits({ kind: 'ft' }, ids);
    const last = logits.subarray((ids.length - 1) * V, ids.length * V);
    let best = 0;
    for (let i = 1; i < V; i++) if ((last[i] as number) > (last[best] as number)) best = i;
    if (eos.has(best)) break;
    expected.push(best);
    ids = [...ids, best];
  }
  return { generated, expected };
}
