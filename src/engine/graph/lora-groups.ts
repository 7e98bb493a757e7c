/**
 * LoRA slots grouped by the base MatMul they add to. The graph fuses q/k/v into one
 * projection and gate/up into another, so the LoRA of each group becomes one pair of
 * MatMuls: x·A_g^T (A_g = the slots' A stacked along the rank) then ·B_g (block rows of the
 * slots' scaled B^T placed at each module's output columns). The embedding's LoRA is the
 * group `embed` ([vocab, hidden]): its A's columns are gathered by token id instead.
 */
import { AdapterError } from '../../core/errors.js';
import { isKvShared, keysAsValues, kvSource, layerIntermediate, layerWidths } from '../heads.js';
import { refuseSlotTarget } from '../adapter/support.js';
import type { LayerModule, LoraSlot } from '../adapter/types.js';
import type { ArchSpec } from '../types.js';

export type GroupKind = 'qkv' | 'o' | 'gate_up' | 'down' | 'head' | 'embed';

export interface GroupMember {
  slotIndex: number;
  rankOffset: number;
  outOffset: number;
  /** Graph column of each of the slot's outputs, when they are not contiguous from outOffset (a per-head fused qkv). */
  columns?: Int32Array;
}

/**
 * Graph column of each output of a stored fused qkv projection, when the checkpoint
 * interleaves heads ([q_h, k_h, v_h] per head, gpt_neox) and the graph regroups them into
 * [all q, all k, all v]; null when the stored order is already the graph's.
 */
export function qkvColumnMap(arch: ArchSpec): Int32Array | null {
  if (!arch.fused.qkv || arch.qkvLayout !== 'per_head') return null;
  const D = arch.headDim;
  const n = arch.numHeads;
  const q = n * D;
  const map = new Int32Array(3 * q);
  for (let h = 0; h < n; h++) for (let p = 0; p < 3; p++) for (let d = 0; d < D; d++) map[(3 * h + p) * D + d] = p * q + h * D + d;
  return map;
}

/** Graph column of output o of a member. */
export function memberColumn(m: GroupMember, o: number): number {
  return m.columns ? (m.columns[o] as number) : m.outOffset + o;
}

export interface LoraGroup {
  key: string;
  kind: GroupKind;
  layer: number | null;
  inFeatures: number;
  outFeatures: number;
  rank: number;
  members: GroupMember[];
  /** Some member carries lora_B.bias (PEFT lora_bias): the graph has a bias input for this group. */
  hasBias: boolean;
}

const GROUP_OF: Record<LayerModule, GroupKind> = {
  q_proj: 'qkv',
  k_proj: 'qkv',
  v_proj: 'qkv',
  qkv_proj: 'qkv',
  o_proj: 'o',
  gate_proj: 'gate_up',
  up_proj: 'gate_up',
  gate_up_proj: 'gate_up',
  down_proj: 'down',
};

/** [in, out] of a group of `kind` in layer `layer` (head sizes may differ per layer). */
export function groupShape(arch: ArchSpec, kind: GroupKind, layer = 0): [number, number] {
  const H = arch.hiddenSize;
  const { q, kv } = layerWidths(arch, layer);
  const I = layerIntermediate(arch, layer);
  switch (kind) {
    case 'qkv':
      // A KV-shared layer (gemma4) projects queries only.
      return [H, isKvShared(arch, layer) ? q : keysAsValues(arch, layer) ? q + kv : q + 2 * kv];
    case 'o':
      return [q, H];
    case 'gate_up':
      return [H, arch.mlp === 'plain' ? I : 2 * I];
    case 'down':
      return [I, H];
    case 'head':
      return [H, arch.vocabSize];
    case 'embed':
      return [arch.vocabSize, H];
  }
}

function outOffset(arch: ArchSpec, module: LayerModule, layer: number): number {
  const { q, kv } = layerWidths(arch, layer);
  if (module === 'k_proj') return q;
  if (module === 'v_proj') return q + kv;
  if (module === 'up_proj') return arch.mlp === 'plain' ? 0 : layerIntermediate(arch, layer);
  return 0;
}

/** `source` names the adapter in refusals. */
export function buildGroups(arch: ArchSpec, slots: readonly LoraSlot[], source = 'adapter'): LoraGroup[] {
  const groups = new Map<string, LoraGroup>();
  const qkvColumns = qkvColumnMap(arch);
  slots.forEach((slot, slotIndex) => {
    const t = slot.target;
    refuseSlotTarget(source, slot.modulePath, t, slot.magnitude !== null);
    if (t.scope === 'layer' && isKvShared(arch, t.layer) && (t.module === 'k_proj' || t.module === 'v_proj' || t.module === 'qkv_proj')) {
      throw new AdapterError(`${source}: '${slot.modulePath}' adapts ${t.module} of layer ${t.layer}, which reuses the keys/values of layer ${kvSource(arch, t.layer)} and has no such projection — re-save the adapter for this checkpoint`);
    }
    if (t.scope === 'layer' && keysAsValues(arch, t.layer) && (t.module === 'v_proj' || t.module === 'qkv_proj')) {
      throw new AdapterError(`${source}: '${slot.modulePath}' adapts ${t.module} of layer ${t.layer}, whose values are its keys (attention_k_eq_v) and which has no such projection — re-save the adapter for this checkpoint`);
    }
    if (slot.magnitude && arch.transposedLinear && t.scope === 'layer') {
      throw new AdapterError(`${source}: DoRA on '${slot.modulePath}' (a Conv1D weight, fan_in_fan_out) is not supported by the sway engine; use a plain LoRA adapter`, 'SWAY_ADAPTER_UNSUPPORTED');
    }
    const kind: GroupKind = t.scope === 'lm_head' ? 'head' : t.scope === 'embed_tokens' ? 'embed' : GROUP_OF[t.module];
    const layer = t.scope === 'layer' ? t.layer : null;
    const key = layer === null ? kind : `${layer}_${kind}`;
    const [inF, outF] = groupShape(arch, kind, layer ?? 0);
    const g = groups.get(key) ?? { key, kind, layer, inFeatures: inF, outFeatures: outF, rank: 0, members: [], hasBias: false };
    if (slot.bBias) g.hasBias = true;
    const columns = t.scope === 'layer' && t.module === 'qkv_proj' && qkvColumns ? { columns: qkvColumns } : {};
    g.members.push({ slotIndex, rankOffset: g.rank, outOffset: t.scope === 'layer' ? outOffset(arch, t.module, t.layer) : 0, ...columns });
    g.rank += slot.rank;
    groups.set(key, g);
  });
  return [...groups.values()];
}

/**
 * Fills one view's block of a group's feeds. `a` is [R, in] (each slot's A as PEFT stores
 * it, at its rank offset), `b` is [R, out] (row-major),
 * `coeff` multiplies every slot's own scaling (lambda). `slots` may be null-adapter slots
 * with the same shapes as the real ones. `bias` ([out] at `biasOffset`) receives each
 * slot's lora_B.bias scaled like its branch (PEFT adds it inside the scaled LoRA output).
 */
export function fillGroupRow(
  g: LoraGroup,
  slots: readonly LoraSlot[],
  coeff: number,
  a: Float32Array,
  b: Float32Array,
  aOffset: number,
  bOffset: number,
  bias: Float32Array | null = null,
  biasOffset = 0,
): void {
  const inF = g.inFeatures;
  const outF = g.outFeatures;
  for (const m of g.members) {
    const s = slots[m.slotIndex] as LoraSlot;
    const r = s.rank;
    const c = coeff * s.scaling;
    a.set(s.a.subarray(0, r * inF), aOffset + m.rankOffset * inF);
    for (let k = 0; k < r; k++) {
      for (let o = 0; o < s.outFeatures; o++) b[bOffset + (m.rankOffset + k) * outF + memberColumn(m, o)] = c * (s.b[o * r + k] as number);
    }
    if (bias && s.bBias) for (let o = 0; o < s.outFeatures; o++) bias[biasOffset + memberColumn(m, o)] = c * (s.bBias[o] as number);
  }
}
