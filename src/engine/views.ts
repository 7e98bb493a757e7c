/**
 * Views as feed sets. A view never changes the session: it is the LoRA tensors (A^T,
 * λ·s·B^T, scaled lora bias, DoRA gains), the embedding delta rule and whether the
 * adapter's saved modules are active. Feed sets are cached per view key.
 */
import { UsageError } from '../core/errors.js';
import { doraGains } from './adapter/dora.js';
import { nullAdapterSlots } from './adapter/null-adapter.js';
import type { LoadedAdapter, LoraSlot } from './adapter/types.js';

export type EngineView =
  | { kind: 'base' }
  | { kind: 'ft' }
  | { kind: 'scaled'; lambda: number }
  | { kind: 'null'; seed: number; rankScale?: number; initScale?: number };

export interface SlotFeed {
  /** A^T [in, r] */
  a: Float32Array;
  /** (λ·s·B)^T [r, out] */
  b: Float32Array;
  bias: Float32Array | null;
  gain: Float32Array | null;
}

export interface EmbedLora {
  /** lora_embedding_A [r, vocab], B [dim, r], coefficient λ·s */
  a: Float32Array;
  b: Float32Array;
  rank: number;
  coef: number;
}

export interface ViewFeeds {
  key: string;
  slots: SlotFeed[];
  embed: EmbedLora | null;
  /** Saved modules / trainable tokens active (adapter enabled). */
  adapterOn: boolean;
}

export function viewKey(v: EngineView): string {
  switch (v.kind) {
    case 'base':
      return 'base';
    case 'ft':
      return 'ft';
    case 'scaled':
      return `scale=${v.lambda}`;
    case 'null':
      return `null:seed=${v.seed},rank=${v.rankScale ?? 1},init=${v.initScale ?? 0.02}`;
  }
}

/** Parses `base`, `ft`, `scale=0.5`, `null:seed=3,rank=2[,init=0.02]`. */
export function parseView(text: string): EngineView {
  const t = text.trim();
  if (t === 'base') return { kind: 'base' };
  if (t === 'ft') return { kind: 'ft' };
  const bad = (why: string) => new UsageError(`--view ${JSON.stringify(text)}: ${why}; use base, ft, scale=0.5 or null:seed=3,rank=2`);
  if (t.startsWith('scale=')) {
    const lambda = Number(t.slice(6));
    if (t.length === 6 || !Number.isFinite(lambda)) throw bad('scale needs a finite number');
    return { kind: 'scaled', lambda };
  }
  if (t.startsWith('null')) {
    const v: { kind: 'null'; seed: number; rankScale?: number; initScale?: number } = { kind: 'null', seed: 0 };
    const rest = t.slice(4).replace(/^:/, '');
    for (const part of rest ? rest.split(',') : []) {
      const [k, raw] = part.split('=');
      const n = Number(raw);
      if (raw === undefined || raw === '' || !Number.isFinite(n)) throw bad(`${part} needs key=number`);
      if (k === 'seed') {
        if (!Number.isInteger(n)) throw bad('seed must be an integer');
        v.seed = n;
      } else if (k === 'rank') {
        if (n <= 0) throw bad('rank must be > 0');
        v.rankScale = n;
      } else if (k === 'init') v.initScale = n;
      else throw bad(`unknown null option ${k}`);
    }
    return v;
  }
  throw bad('unknown view');
}

function transpose(w: Float32Array, rows: number, cols: number, coef = 1): Float32Array {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = coef * w[r * cols + c]!;
  return t;
}

export interface ViewContext {
  adapter: LoadedAdapter | null;
  /** Slots that are graph inputs (layer linears + lm_head), in graph index order. */
  graphSlots: LoraSlot[];
  /** fp32 base weight of a slot's module ([out, in]) for DoRA norms. */
  baseWeight(slot: LoraSlot): Float32Array;
}

export class ViewCache {
  private cache = new Map<string, ViewFeeds>();
  constructor(private readonly ctx: ViewContext) {}

  feeds(view: EngineView): ViewFeeds {
    const key = viewKey(view);
    let hit = this.cache.get(key);
    if (!hit) {
      hit = this.build(view, key);
      this.cache.set(key, hit);
    }
    return hit;
  }

  private build(view: EngineView, key: string): ViewFeeds {
    const { adapter, graphSlots } = this.ctx;
    if (view.kind === 'scaled' && !Number.isFinite(view.lambda)) throw new UsageError(`scaled view: λ must be finite, got ${view.lambda}`);
    if (!adapter && view.kind !== 'base') throw new UsageError(`view ${key} needs an adapter; pass --adapter DIR`);
    const lambda = view.kind === 'base' ? 0 : view.kind === 'scaled' ? view.lambda : 1;
    let slots: LoraSlot[] = graphSlots;
    let embedSlot = adapter?.slots.find((s) => s.target.scope === 'embed_tokens') ?? null;
    if (view.kind === 'null' && adapter) {
      const nulls = nullAdapterSlots(adapter, view.seed, { rankScale: view.rankScale, initScale: view.initScale });
      const byPath = new Map(nulls.map((s) => [s.modulePath, s]));
      slots = graphSlots.map((s) => byPath.get(s.modulePath)!);
      embedSlot = embedSlot ? byPath.get(embedSlot.modulePath)! : null;
    }
    const feeds = slots.map((s): SlotFeed => {
      const coef = lambda * s.scaling;
      return {
        // zeros when the branch is off, so a broken (NaN) adapter cannot leak into the base view
        a: coef === 0 ? new Float32Array(s.a.length) : transpose(s.a, s.rank, s.inFeatures),
        b: transpose(s.b, s.outFeatures, s.rank, coef),
        bias: s.bBias ? s.bBias.map((x) => x * coef) : null,
        gain: s.magnitude ? (lambda === 0 && view.kind === 'base' ? new Float32Array(s.outFeatures).fill(1) : doraGains(s, this.ctx.baseWeight(s), coef)) : null,
      };
    });
    const embed = embedSlot && lambda !== 0 ? { a: embedSlot.a, b: embedSlot.b, rank: embedSlot.rank, coef: lambda * embedSlot.scaling } : null;
    return { key, slots: feeds, embed, adapterOn: view.kind === 'ft' || view.kind === 'scaled' };
  }
}
