/**
 * Feed building for the decoder graph: token ids, sequence lengths, gather positions,
 * empty KV caches, and each row's view (LoRA A/B/bias per group, DoRA gains, the saved-
 * module selector). Every view is a different feed set over one session.
 */
import './ort-privacy.js'; // before onnxruntime-node: turns its telemetry off
import * as ort from 'onnxruntime-node';
import { SwayError } from '../core/errors.js';
import type { LoraGroup } from './graph/lora-groups.js';
import { fillGroupRow } from './graph/lora-groups.js';
import { cacheLayers } from './heads.js';
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
  /**
   * The token whose log-probability is wanted at each position: then the forward returns
   * those values (computed in the graph), not the logits.
   */
  targets?: readonly number[];
}

/** [B, P] target ids of the rows (0 where a row has none or fewer positions). */
function targetFeed(rows: readonly { targets?: readonly number[] | undefined }[], P: number): ort.Tensor {
  const t = new BigInt64Array(rows.length * P);
  rows.forEach((r, b) => r.targets?.forEach((id, k) => (t[b * P + k] = BigInt(id))));
  return new ort.Tensor('int64', t, [rows.length, P]);
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
      target_ids: targetFeed(rows, P),
      kv_tail: kvTail(0),
    },
  };
}

/** The `kv_tail` feed: how many of the last cache positions the `kv_new_*` outputs hold. */
function kvTail(n: number): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from([BigInt(n)]), []);
}

/**
 * Token feeds of rows of equal length that continue `total - length` cached tokens each: a
 * decoding step (several views in lockstep), or one segment of a long input. `positions`
 * index into each row (default: its last token); `targets` per row, when log-probabilities
 * of given tokens are wanted; `tail`: cache positions the `kv_new_*` outputs return.
 */
export function stepFeeds(inputs: readonly (readonly number[])[], total: number, positions?: readonly number[], targets?: readonly (readonly number[])[], tail = 0): Feeds {
  const B = inputs.length;
  const L = (inputs[0] as readonly number[]).length;
  const pos = positions ?? [L - 1];
  const ids = new BigInt64Array(B * L);
  inputs.forEach((row, b) => {
    if (row.length !== L) throw new SwayError(`internal: lockstep decoding rows must have equal lengths (${row.length} != ${L})`, 'SWAY_RUNTIME', 3);
    row.forEach((t, i) => (ids[b * L + i] = BigInt(t)));
  });
  const gather = new BigInt64Array(B * pos.length);
  for (let b = 0; b < B; b++) pos.forEach((p, k) => (gather[b * pos.length + k] = BigInt(p)));
  return {
    input_ids: new ort.Tensor('int64', ids, [B, L]),
    seqlens_k: new ort.Tensor('int32', new Int32Array(B).fill(total - 1), [B]),
    total_seq_len: new ort.Tensor('int32', Int32Array.from([total]), []),
    gather_idx: new ort.Tensor('int64', gather, [B, pos.length, 1]),
    target_ids: targetFeed(inputs.map((_, b) => ({ targets: targets?.[b] })), pos.length),
    kv_tail: kvTail(tail),
  };
}

/** Empty past key/value feeds for a batch of B rows. */
export function emptyPastFeeds(arch: ArchSpec, B: number): Feeds {
  const feeds: Feeds = {};
  for (const { layer, numKvHeads, headDim } of cacheLayers(arch)) {
    const empty = new ort.Tensor('float32', new Float32Array(0), [B, numKvHeads, 0, headDim]);
    feeds[`past_key_${layer}`] = empty;
    feeds[`past_value_${layer}`] = empty;
  }
  return feeds;
}

/** Names of the KV outputs, in layer order (present_key_l, present_value_l). */
export function presentNames(arch: ArchSpec): string[] {
  return cacheLayers(arch).flatMap(({ layer }) => [`present_key_${layer}`, `present_value_${layer}`]);
}

/**
 * The LoRA feeds of one set of blocks (slot sets: the real adapter's, a null's) at
 * multiplier 1, per group: A and B stacked block after block in the graph's layout, and
 * each block's unit LoRA bias.
 */
interface PackedBlocks {
  a: Float32Array[];
  b: Float32Array[];
  bias: (Float32Array | null)[][];
}

function packBlocks(layout: FeedLayout, blocks: readonly (readonly LoraSlot[])[]): PackedBlocks {
  const p: PackedBlocks = { a: [], b: [], bias: [] };
  for (const g of layout.groups) {
    const R = g.rank;
    const a = new Float32Array(blocks.length * R * g.inFeatures);
    const b = new Float32Array(blocks.length * R * g.outFeatures);
    const bias = blocks.map((slots, k) => {
      const unit = g.hasBias ? new Float32Array(g.outFeatures) : null;
      fillGroupRow(g, slots, 1, a, b, k * R * g.inFeatures, k * R * g.outFeatures, unit, 0);
      return unit;
    });
    p.a.push(a);
    p.b.push(b);
    p.bias.push(bias);
  }
  return p;
}

const slotSetIds = new WeakMap<readonly LoraSlot[], number>();
let nextSlotSetId = 0;

/** A stable number per slot-set array (blocks are ordered by it, so a set of blocks has one packing whatever the row order). */
function slotSetId(slots: readonly LoraSlot[]): number {
  let id = slotSetIds.get(slots);
  if (id === undefined) {
    id = nextSlotSetId++;
    slotSetIds.set(slots, id);
  }
  return id;
}

/**
 * The last few sets of blocks packed as feeds, so forwards that repeat a set (base + ft
 * across a probe's items, the same nulls across calibration) neither re-pack nor copy them
 * (about 15 MB per block on a 135M model; the feed arrays are the packing). Views differing
 * only by their multiplier (ft, scaled) share one block: the multiplier goes into each row's
 * rank mask. `packs` counts blocks packed.
 */
export class PackedViewCache {
  private readonly entries = new Map<string, PackedBlocks>();
  packs = 0;

  constructor(private readonly capacity = 2) {}

  get(layout: FeedLayout, blocks: readonly (readonly LoraSlot[])[]): PackedBlocks {
    const key = blocks.map(slotSetId).join(',');
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const p = packBlocks(layout, blocks);
    this.packs += blocks.length;
    if (this.capacity > 0) {
      this.entries.set(key, p);
      if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    }
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
  const slotSets = [...new Set(views.filter((v) => v.coeff !== 0).map((v) => v.slots))].sort((x, y) => slotSetId(x) - slotSetId(y));
  const blockOf = views.map((v) => (v.coeff !== 0 ? slotSets.indexOf(v.slots) : -1));
  const allOff = slotSets.length === 0;
  const packed = allOff ? null : cache.get(layout, slotSets);
  const N = distinct.length;
  const blocks = slotSets.length;
  const coeffs = views.map((v) => v.coeff);
  layout.groups.forEach((g, gi) => {
    const R = allOff ? 0 : g.rank;
    feeds[`lora_${g.key}_a`] = new ort.Tensor('float32', packed ? (packed.a[gi] as Float32Array) : new Float32Array(0), [blocks * R, g.inFeatures]);
    feeds[`lora_${g.key}_b`] = new ort.Tensor('float32', packed ? (packed.b[gi] as Float32Array) : new Float32Array(0), [blocks * R, g.outFeatures]);
    const maskName = `lora_mask_${g.rank}`;
    if (!feeds[maskName]) feeds[maskName] = viewMask(blockOf, coeffs, blocks, R);
    if (g.hasBias) {
      const bias = new Float32Array(N * g.outFeatures);
      distinct.forEach((v, vi) => {
        const unit = v.coeff === 0 || !packed ? null : packed.bias[gi]![slotSets.indexOf(v.slots)];
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
