/**
 * Feed building for the decoder graph: token ids, sequence lengths, gather positions,
 * empty KV caches, and each row's view (LoRA A/B/bias per group, DoRA gains, the saved-
 * module selector). Every view is a different feed set over one session.
 */
import './ort-privacy.js'; // before onnxruntime-node: turns its telemetry off
import * as ort from 'onnxruntime-node';
import type { LoraGroup } from './graph/lora-groups.js';
import { fillGroupRow } from './graph/lora-groups.js';
import { isKvShared, layerHeads } from './heads.js';
import type { ArchSpec } from './types.js';
import type { LoraSlot } from './adapter/types.js';
import type { ResolvedView } from './views.js';

export type Feeds = Record<string, ort.Tensor>;

/** What the feed builder needs to know about the graph. */
export interface FeedLayout {
  arch: ArchSpec;
  groups: readonly LoraGroup[];
  useDora: boolean;
  hasOverrides: boolean;
}

export interface RowRequest {
  view: ResolvedView;
  ids: number[];
  /** Positions whose next-token logits are wanted. */
  positions: number[];
}

/** Token feeds of a right-padded batch; P = the most positions any row asks for. */
export function tokenFeeds(rows: readonly RowRequest[], padId: number): { feeds: Feeds; S: number; P: number } {
  const B = rows.length;
  const S = Math.max(...rows.map((r) => r.ids.length));
  const P = Math.max(...rows.map((r) => r.positions.length));
  const ids = new BigInt64Array(B * S);
  const seqlens = new Int32Array(B);
  const gather = new BigInt64Array(B * P);
  rows.forEach((r, b) => {
    r.ids.forEach((t, i) => (ids[b * S + i] = BigInt(t)));
    for (let i = r.ids.length; i < S; i++) ids[b * S + i] = BigInt(padId);
    seqlens[b] = r.ids.length - 1;
    for (let k = 0; k < P; k++) gather[b * P + k] = BigInt(r.positions[Math.min(k, r.positions.length - 1)] as number);
  });
  return {
    S,
    P,
    feeds: {
      input_ids: new ort.Tensor('int64', ids, [B, S]),
      seqlens_k: new ort.Tensor('int32', seqlens, [B]),
      total_seq_len: new ort.Tensor('int32', Int32Array.from([S]), []),
      gather_idx: new ort.Tensor('int64', gather, [B, P, 1]),
    },
  };
}

/**
 * Token feeds of one row (batch 1) continuing `total - input.length` cached tokens: a
 * decoding step, or one segment of a long input. `positions` index into `input` (default:
 * its last token).
 */
export function stepFeeds(input: readonly number[], total: number, positions: readonly number[] = [input.length - 1]): Feeds {
  return {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(input.map((t) => BigInt(t))), [1, input.length]),
    seqlens_k: new ort.Tensor('int32', Int32Array.from([total - 1]), [1]),
    total_seq_len: new ort.Tensor('int32', Int32Array.from([total]), []),
    gather_idx: new ort.Tensor('int64', BigInt64Array.from(positions.map((p) => BigInt(p))), [1, positions.length, 1]),
  };
}

/** Empty past key/value feeds for a batch of B rows. */
export function emptyPastFeeds(arch: ArchSpec, B: number): Feeds {
  const feeds: Feeds = {};
  for (let l = 0; l < arch.numLayers; l++) {
    if (isKvShared(arch, l)) continue; // gemma4: a KV-shared layer reads another layer's cache
    const h = layerHeads(arch, l); // gemma4: head sizes may differ per layer
    const empty = new ort.Tensor('float32', new Float32Array(0), [B, h.numKvHeads, 0, h.headDim]);
    feeds[`past_key_${l}`] = empty;
    feeds[`past_value_${l}`] = empty;
  }
  return feeds;
}

/** Names of the KV outputs, in layer order (present_key_l, present_value_l). */
export function presentNames(arch: ArchSpec): string[] {
  const out: string[] = [];
  for (let l = 0; l < arch.numLayers; l++) if (!isKvShared(arch, l)) out.push(`present_key_${l}`, `present_value_${l}`);
  return out;
}

/** One slot set's LoRA A/B (and LoRA bias) per group at multiplier 1, in the graph's layout. */
interface PackedSlots {
  a: Float32Array[];
  b: Float32Array[];
  bias: (Float32Array | null)[];
}

function packSlots(layout: FeedLayout, slots: readonly LoraSlot[]): PackedSlots {
  const p: PackedSlots = { a: [], b: [], bias: [] };
  for (const g of layout.groups) {
    const R = g.rank;
    const a = new Float32Array(R * g.inFeatures);
    const b = new Float32Array(R * g.outFeatures);
    const bias = g.hasBias ? new Float32Array(g.outFeatures) : null;
    fillGroupRow(g, slots, 1, a, b, 0, 0, bias, 0);
    p.a.push(a);
    p.b.push(b);
    p.bias.push(bias);
  }
  return p;
}

/**
 * The last few slot sets' packed weights (the real adapter's, a null's), so a probe that
 * alternates views does not re-pack them for every forward (about 15 MB each on a 135M
 * model). Views differing only by their multiplier (ft, scaled) share one entry: the
 * multiplier goes into each row's rank mask.
 */
export class PackedViewCache {
  private readonly entries = new Map<readonly LoraSlot[], PackedSlots>();
  packs = 0;

  constructor(private readonly capacity = 4) {}

  get(layout: FeedLayout, slots: readonly LoraSlot[]): PackedSlots {
    const hit = this.entries.get(slots);
    if (hit) {
      this.entries.delete(slots);
      this.entries.set(slots, hit);
      return hit;
    }
    const p = packSlots(layout, slots);
    this.packs += 1;
    this.entries.set(slots, p);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as readonly LoraSlot[]);
    return p;
  }
}

function stack(parts: readonly Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0] as Float32Array;
  const n = (parts[0] as Float32Array).length;
  const out = new Float32Array(parts.length * n);
  parts.forEach((p, i) => out.set(p, i * n));
  return out;
}

/** Whether the graph gathers per-view vectors by `view_idx` (LoRA bias, DoRA gains). */
function usesViewIndex(layout: FeedLayout): boolean {
  return layout.groups.some((g) => g.hasBias || (layout.useDora && g.kind !== 'head'));
}

/** [rows, 1, blocks*R]: each row's view multiplier on its slot set's R columns, 0 elsewhere (R = 0 when every row is LoRA-off). */
function viewMask(blockOf: readonly number[], coeffs: readonly number[], blocks: number, R: number): ort.Tensor {
  const width = blocks * R;
  const mask = new Float32Array(blockOf.length * width);
  blockOf.forEach((k, row) => {
    if (k >= 0) mask.fill(coeffs[row] as number, row * width + k * R, row * width + (k + 1) * R);
  });
  return new ort.Tensor('float32', mask, [blockOf.length, 1, width]);
}

/** The distinct values of `items` by `key` (first-seen order) and each item's index among them. */
function distinctBy<T, K>(items: readonly T[], key: (t: T) => K): { keys: K[]; index: number[] } {
  const keys: K[] = [];
  const index = items.map((t) => {
    const k = key(t);
    let i = keys.indexOf(k);
    if (i < 0) i = keys.push(k) - 1;
    return i;
  });
  return { keys, index };
}

/**
 * View feeds of a batch: LoRA A/B once per distinct slot set of the batch's LoRA-on views
 * (stacked along the rank: [blocks*R, in] and [blocks*R, out]; rank 0 when every row is
 * LoRA-off), one rank mask per distinct group rank carrying each row's multiplier on its
 * block, LoRA bias and DoRA gains per distinct view with `view_idx` naming each row's view,
 * and use_saved per row. Nothing is sized by rows except the masks and indices.
 */
export function viewFeeds(layout: FeedLayout, views: readonly ResolvedView[], cache: PackedViewCache = new PackedViewCache(0)): Feeds {
  const feeds: Feeds = {};
  const { keys: distinct, index } = distinctBy(views, (v) => v);
  const on = views.map((v) => v.coeff !== 0);
  const { keys: slotSets, index: blockIndex } = distinctBy(
    views.filter((_, i) => on[i]),
    (v) => v.slots,
  );
  let k = 0;
  const blockOf = views.map((_, i) => (on[i] ? (blockIndex[k++] as number) : -1));
  const allOff = slotSets.length === 0;
  const packed = slotSets.map((slots) => cache.get(layout, slots));
  const N = distinct.length;
  const blocks = slotSets.length;
  const coeffs = views.map((v) => v.coeff);
  layout.groups.forEach((g, gi) => {
    const R = allOff ? 0 : g.rank;
    const a = allOff ? new Float32Array(0) : stack(packed.map((p) => p.a[gi] as Float32Array));
    const b = allOff ? new Float32Array(0) : stack(packed.map((p) => p.b[gi] as Float32Array));
    feeds[`lora_${g.key}_a`] = new ort.Tensor('float32', a, [blocks * R, g.inFeatures]);
    feeds[`lora_${g.key}_b`] = new ort.Tensor('float32', b, [blocks * R, g.outFeatures]);
    const maskName = `lora_mask_${g.rank}`;
    if (!feeds[maskName]) feeds[maskName] = viewMask(blockOf, coeffs, blocks, R);
    if (g.hasBias) {
      const bias = new Float32Array(N * g.outFeatures);
      distinct.forEach((v, vi) => {
        const unit = v.coeff === 0 ? null : cache.get(layout, v.slots).bias[gi];
        if (unit) for (let o = 0; o < g.outFeatures; o++) bias[vi * g.outFeatures + o] = v.coeff * (unit[o] as number);
      });
      feeds[`lora_${g.key}_bias`] = new ort.Tensor('float32', bias, [N, 1, g.outFeatures]);
    }
    if (layout.useDora && g.kind !== 'head') {
      const gains = stack(distinct.map((v) => v.gains?.get(g.key) ?? new Float32Array(g.outFeatures).fill(1)));
      feeds[`dora_${g.key}`] = new ort.Tensor('float32', gains, [N, 1, g.outFeatures]);
    }
  });
  if (usesViewIndex(layout)) feeds['view_idx'] = new ort.Tensor('int64', BigInt64Array.from(index.map((i) => BigInt(i))), [views.length]);
  if (layout.hasOverrides) {
    feeds['use_saved'] = new ort.Tensor('bool', Uint8Array.from(views.map((v) => (v.useSaved ? 1 : 0))), [views.length, 1, 1]);
  }
  return feeds;
}
