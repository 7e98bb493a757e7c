/**
 * Views of one loaded model as feed sets: which LoRA slots (real or seeded null), which
 * multiplier, whether saved module copies are active, and the DoRA gains that follow.
 */
import { SwayError } from '../core/errors.js';
import { nullAdapterSlots, validateRankScale } from './adapter/null.js';
import { doraGains } from './adapter/dora.js';
import type { LoadedAdapter, LoraSlot } from './adapter/types.js';
import { LruMap } from './answer-cache.js';
import { memberColumn, type LoraGroup } from './graph/lora-groups.js';

import type { ViewSelector } from '../core/views.js';

export type ViewSpec = ViewSelector;

export interface ResolvedView {
  id: string;
  slots: readonly LoraSlot[];
  coeff: number;
  useSaved: boolean;
  /** Per group key: gains [out] (DoRA only). */
  gains: Map<string, Float32Array> | null;
}

export function viewId(v: ViewSpec): string {
  switch (v.kind) {
    case 'base':
      return 'base';
    case 'ft':
      return 'ft';
    case 'scaled':
      return `scaled_${v.lambda.toFixed(2)}`;
    case 'null':
      return (v.rankScale ?? 1) === 1 ? `null_${v.seed}` : `null_${v.seed}_rank${(v.rankScale ?? 1).toFixed(2)}`;
  }
}

/** Bytes a resolved view's own drawn arrays hold (a null's A/B, DoRA gains). */
function viewBytes(v: ResolvedView): number {
  let n = 0;
  for (const s of v.slots) n += s.a.byteLength + s.b.byteLength;
  for (const g of v.gains?.values() ?? []) n += g.byteLength;
  return n;
}

/** Null views kept drawn: at most 64, and at most 256 MB of their weights (a null is redrawn, bit for bit, when asked again). */
const NULL_VIEWS = 64;
const NULL_VIEW_BYTES = 256 << 20;

export class ViewResolver {
  private readonly cache = new Map<string, ResolvedView>();
  private readonly nulls: LruMap<ResolvedView>;

  constructor(
    private readonly adapter: LoadedAdapter | null,
    private readonly groups: readonly LoraGroup[],
    /** Base [out, in] weights of DoRA-adapted slots, by slot index. */
    private readonly doraBase: Map<number, Float32Array>,
    nullBytes = NULL_VIEW_BYTES,
  ) {
    this.nulls = new LruMap<ResolvedView>(NULL_VIEWS, viewBytes, nullBytes);
  }

  resolve(v: ViewSpec): ResolvedView {
    const key = `${viewId(v)}|${v.kind === 'null' ? `${v.scale ?? 'matched'}:${v.initScale ?? 0.02}` : ''}`;
    const hit = v.kind === 'null' ? this.nulls.get(key) : this.cache.get(key);
    if (hit) return hit;
    const real = this.adapter?.slots ?? [];
    let slots: readonly LoraSlot[] = real;
    let coeff = 1;
    let useSaved = this.adapter !== null;
    if (v.kind === 'base') {
      coeff = 0;
      useSaved = false;
    } else if (v.kind === 'scaled') {
      if (!Number.isFinite(v.lambda)) throw new SwayError(`scale must be a finite number, got ${v.lambda}`, 'SWAY_INPUT', 2);
      coeff = v.lambda;
    } else if (v.kind === 'null') {
      validateRankScale(v.rankScale ?? 1);
      slots = nullAdapterSlots(real, v.seed, { scale: v.scale ?? 'matched', initScale: v.initScale ?? 0.02, rankScale: v.rankScale ?? 1 });
    }
    const gains = this.adapter?.useDora && v.kind !== 'base' ? this.computeGains(slots, coeff) : null;
    const resolved: ResolvedView = { id: viewId(v), slots, coeff, useSaved, gains };
    if (v.kind === 'null') this.nulls.set(key, resolved);
    else this.cache.set(key, resolved);
    return resolved;
  }

  /** Null views currently kept drawn, and the bytes they hold (tests). */
  get keptNulls(): { views: number; bytes: number } {
    return { views: this.nulls.size, bytes: this.nulls.heldBytes };
  }

  private computeGains(slots: readonly LoraSlot[], coeff: number): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const g of this.groups) {
      const gains = new Float32Array(g.outFeatures).fill(1);
      for (const m of g.members) {
        const s = slots[m.slotIndex] as LoraSlot;
        const w = this.doraBase.get(m.slotIndex);
        if (!s.magnitude || !w) continue;
        const g = doraGains(s, w, coeff * s.scaling);
        for (let o = 0; o < g.length; o++) gains[memberColumn(m, o)] = g[o] as number;
      }
      out.set(g.key, gains);
    }
    return out;
  }
}
