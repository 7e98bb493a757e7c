/**
 * The calibration proxy: a backend whose fine-tuned view is a seeded null adapter. Any
 * probe's own run() under it measures "what my metric looks like when the fine-tune is
 * noise". It deliberately exposes no scaled or null views (nothing recurses, scalable
 * probes SKIP) and no identity or tokenizer.
 */
import type { DifferentialBackend, ScoringView, ViewSelector } from '../backends/contract.js';
import type { TokenDist } from '../core/results.js';

export interface NullProxyOptions {
  seed: number;
  initScale: number;
  rankScale: number;
  /** Dists already computed in one batch for every seed and rank (see prefetchKey). */
  prefetched?: ReadonlyMap<string, TokenDist>;
}

/** Table key of a prefetched dist. */
export function prefetchKey(sel: ViewSelector, prompt: string, topK: number): string {
  const view = sel.kind === 'null' ? `null:${sel.seed}:${sel.initScale ?? 0.02}:${sel.rankScale ?? 1}` : sel.kind;
  return `${view}\0${topK}\0${prompt}`;
}

export class NullCalibrationProxy implements DifferentialBackend {
  readonly kind: string;
  nextTokenDistViews?: (views: readonly ViewSelector[], prompts: readonly string[], topK?: number) => Promise<TokenDist[][]>;

  constructor(
    private readonly inner: DifferentialBackend,
    private readonly options: NullProxyOptions,
  ) {
    this.kind = inner.kind;
    const batched = inner.nextTokenDistViews?.bind(inner);
    if (batched) {
      this.nextTokenDistViews = async (views, prompts, topK = 256) => {
        const mapped = views.map((v) => this.mapSelector(v));
        const table = this.options.prefetched;
        if (table) {
          const hit = mapped.map((sel) => prompts.map((p) => table.get(prefetchKey(sel, p, topK))));
          if (hit.every((row) => row.every((d) => d !== undefined))) return hit as TokenDist[][];
        }
        return batched(mapped, prompts, topK);
      };
    }
  }

  private mapSelector(sel: ViewSelector): ViewSelector {
    if (sel.kind === 'base') return sel;
    if (sel.kind === 'ft') {
      return { kind: 'null', seed: this.options.seed, initScale: this.options.initScale, rankScale: this.options.rankScale };
    }
    throw new Error(`null calibration proxy has no '${sel.kind}' view`);
  }

  asBase<T>(fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.inner.asBase(fn);
  }

  asFinetuned<T>(fn: (view: ScoringView) => Promise<T>): Promise<T> {
    const inner = this.inner;
    if (!inner.asNullAdapter) throw new Error('null calibration proxy: inner backend has no null-adapter views');
    return inner.asNullAdapter(this.options.seed, { initScale: this.options.initScale, rankScale: this.options.rankScale }, fn);
  }
}
