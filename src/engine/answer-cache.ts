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

/**
 * A small LRU map, bounded by entries and, when `sizeOf` is given, by the bytes its values
 * hold (answers with vocabulary-sized arrays must not pile up without limit).
 */
export class LruMap<V> {
  private map = new Map<string, V>();
  private bytes = 0;
  constructor(
    private readonly max: number,
    private readonly sizeOf?: (v: V) => number,
    private readonly maxBytes = Infinity,
  ) {}
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.drop(k);
    this.map.set(k, v);
    this.bytes += this.sizeOf?.(v) ?? 0;
    while (this.map.size > 0 && (this.map.size > this.max || this.bytes > this.maxBytes)) this.drop(this.map.keys().next().value as string);
  }
  get size(): number {
    return this.map.size;
  }
  /** Bytes held by the values (0 without `sizeOf`). */
  get heldBytes(): number {
    return this.bytes;
  }
  private drop(k: string): void {
    const old = this.map.get(k);
    if (old === undefined) return;
    this.bytes -= this.sizeOf?.(old) ?? 0;
    this.map.delete(k);
  }
}

/** Bytes of the typed arrays an answer holds. */
export function answerBytes(v: { tokenIds: ArrayBufferView; logprobs: ArrayBufferView }): number {
  return v.tokenIds.byteLength + v.logprobs.byteLength;
}

/** Next-token answers, at most 4096 or 64 MB of them. */
export class AnswerCache extends LruMap<TokenDist> {
  constructor(max = 4096, maxBytes = 64 << 20) {
    super(max, answerBytes, maxBytes);
  }
}
