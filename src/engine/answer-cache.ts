/**
 * Reuse of next-token answers. Views are deterministic (null views by seed), so a
 * (view, topK, prompt) answer computed once can be served again from a small LRU map.
 */
import type { TokenDist } from '../core/results.js';
import type { ViewSpec } from './views.js';

export function viewCacheKey(v: ViewSpec): string {
  return v.kind === 'null' ? `null:${v.seed}:${v.rankScale ?? 1}:${v.scale ?? 'matched'}:${v.initScale ?? 0.02}` : v.kind === 'scaled' ? `scaled:${v.lambda}` : v.kind;
}

export function answerKey(view: ViewSpec, topK: number, prompt: string): string {
  return `${viewCacheKey(view)}|${topK}|${prompt}`;
}

/** A small LRU map. */
export class LruMap<V> {
  private map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}

export class AnswerCache extends LruMap<TokenDist> {
  constructor(max = 4096) {
    super(max);
  }
}
