/**
 * The decoder's pieces as graph helpers: embedding, attention block, MLP block and head.
 * Each reads only ArchSpec traits and names tensors only through the family's naming.
 */
import { DT } from '../onnx/model.js';
import { ropeCaches } from '../rope.js';
import type { WeightRef } from '../families.js';
import { ModelError } from '../../core/errors.js';
import { isKvShared, keysAsValues, kvSource, layerHeads, layerIntermediate, layerWidths } from '../heads.js';
import type { GraphContext } from './context.js';
import { addEmbeddingLora } from './embed-lora.js';
import { qkvColumnMap } from './lora-groups.js';
import { applyGraphRotary, needsGraphRotary, rotaryTables, type RotaryTables } from './rotary.js';

/**
 * A packed base linear weight: `outIn` when it keeps the checkpoint's [out, in] layout (HF
 * Linear; applied with FusedMatMul transB, which onnxruntime prepacks like MatMul, so nothing
 * is transposed on the JS side), else [in, out] (Conv1D checkpoints store it that way).
 */
export interface LinearWeight {
  name: string;
  outIn: boolean;
}

/** x [.., in] times a base linear weight: [.., out]. */
export function applyLinear(ctx: GraphContext, x: string, w: LinearWeight): string {
  return w.outIn ? ctx.one('FusedMatMul', [x, w.name], { transB: 1 }, 'com.microsoft') : ctx.one('MatMul', [x, w.name]);
}

/** Base MatMul + LoRA branch (with its bias) + DoRA gains + base bias, in PEFT's order. */
export function projection(ctx: GraphContext, input: string, weight: LinearWeight, key: string, bias: string | null): string {
  let y = applyLinear(ctx, input, weight);
  const g = ctx.group(key);
  if (g) {
    y = ctx.one('Add', [y, ctx.loraBranch(g, input)]);
    if (g.hasBias) {
      y = ctx.one('Add', [y, ctx.perViewVector(`lora_${g.key}_bias`, g.outFeatures)]);
    }
    if (ctx.plan.dora && g.kind !== 'head') {
      y = ctx.one('Mul', [y, ctx.perViewVector(`dora_${g.key}`, g.outFeatures)]);
    }
  }
  return bias ? ctx.one('Add', [y, bias]) : y;
}

/** A norm weight with the family's (1 + w) offset applied at pack time. */
export function normWeight(ctx: GraphContext, name: string, length: number, data: () => Float32Array): string {
  const offset = ctx.arch.norm.weightOffset;
  return ctx.packer.add(name, [length], (t) => {
    t.set(data());
    if (offset) for (let i = 0; i < t.length; i++) t[i] = (t[i] as number) + offset;
  });
}

export function rmsNorm(ctx: GraphContext, input: string, w: string): string {
  return ctx.one('SimplifiedLayerNormalization', [input, w], { axis: -1, epsilon: { float: ctx.arch.norm.eps } });
}

/** The family's norm (RMS, or LayerNorm with optional bias) of `input` with the weight `ref` (packed as `packName`). */
export function norm(ctx: GraphContext, input: string, ref: WeightRef, packName: string, length: number, saved?: Float32Array): string {
  const w = normWeight(ctx, packName, length, saved ? () => saved : () => ctx.read(ref));
  if (ctx.arch.norm.kind === 'rms') return rmsNorm(ctx, input, w);
  const ins = [input, w];
  if (ctx.arch.norm.bias) ins.push(ctx.packer.add(`${packName}_bias`, [length], (t) => ctx.readInto({ ...ref, part: 'bias' }, t)));
  return ctx.one('LayerNormalization', ins, { axis: -1, epsilon: { float: ctx.arch.norm.eps } });
}

/** One linear weight packed in its stored layout ([out, in] in HF Linear, [in, out] in Conv1D), read straight into place. */
export function linearWeight(ctx: GraphContext, packName: string, ref: WeightRef, outF: number, inF: number): LinearWeight {
  const outIn = !ctx.arch.transposedLinear;
  ctx.expect(ref, outIn ? [outF, inF] : [inF, outF]);
  return { name: ctx.weight(packName, outIn ? [outF, inF] : [inF, outF], [ref]), outIn };
}

/** Several linear weights as one with their outputs side by side ([sum(out), in]: the row blocks one after another). */
export function fusedLinearWeight(ctx: GraphContext, packName: string, refs: WeightRef[], outs: number[], inF: number): LinearWeight {
  const outIn = !ctx.arch.transposedLinear;
  refs.forEach((r, k) => ctx.expect(r, outIn ? [outs[k] as number, inF] : [inF, outs[k] as number]));
  const total = outs.reduce((a, b) => a + b, 0);
  if (outIn) return { name: ctx.weight(packName, [total, inF], refs), outIn };
  const name = ctx.packer.add(packName, [inF, total], (t) => {
    let col = 0;
    refs.forEach((r, k) => {
      const w = ctx.read(r);
      const out = outs[k] as number;
      for (let i = 0; i < inF; i++) for (let o = 0; o < out; o++) t[i * total + col + o] = w[i * out + o] as number;
      col += out;
    });
  });
  return { name, outIn };
}

/** The family's activation. */
export function activation(ctx: GraphContext, x: string): string {
  switch (ctx.arch.hiddenAct) {
    case 'silu':
      return ctx.one('Mul', [x, ctx.one('Sigmoid', [x])]);
    case 'gelu_tanh':
      return ctx.one('FastGelu', [x], undefined, 'com.microsoft');
    case 'gelu':
      return ctx.one('Gelu', [x], undefined, 'com.microsoft');
  }
}

/** cap * tanh(x / cap). */
export function softcap(ctx: GraphContext, x: string, cap: number, name: string): string {
  const c = ctx.packer.scalar(name, cap);
  return ctx.one('Mul', [ctx.one('Tanh', [ctx.one('Div', [x, c])]), c]);
}

/** Where use_saved, the saved copy's output, else the base output. */
export function selectSaved(ctx: GraphContext, baseOut: string, savedOut: string): string {
  return ctx.one('Where', ['use_saved', savedOut, baseOut]);
}

/** Token embedding (with its saved copy and the family's scale); returns the packed table and x. */
export function embedding(ctx: GraphContext): { table: string; x: string } {
  const { arch } = ctx;
  const V = arch.vocabSize;
  const H = arch.hiddenSize;
  ctx.expect({ module: 'embed' }, [V, H]);
  const table = ctx.stored('embed', [V, H], { module: 'embed' });
  let x = ctx.gatherRows(table, 'input_ids');
  const saved = ctx.plan.overrides.get(ctx.name({ module: 'embed' }));
  if (saved) x = selectSaved(ctx, x, ctx.one('Gather', [ctx.packer.add('embed_saved', [V, H], saved), 'input_ids'], { axis: 0 }));
  x = addEmbeddingLora(ctx, x);
  if (arch.embeddingScale !== 1) x = ctx.one('Mul', [x, ctx.packer.scalar('embed_scale', arch.embeddingScale)]);
  if (arch.positions === 'learned') {
    // Positions of this call's tokens: total_seq_len - seq .. total_seq_len - 1 (prefill from 0, or one decode step).
    const P = arch.maxPositionEmbeddings;
    ctx.expect({ module: 'positions' }, [P, H]);
    const wpe = ctx.stored('positions', [P, H], { module: 'positions' });
    const total = ctx.one('Cast', ['total_seq_len'], { to: DT.INT64 });
    const seq = ctx.one('Squeeze', [ctx.one('Slice', [ctx.one('Shape', ['input_ids']), ctx.packer.int64('one_i64', [1]), ctx.packer.int64('two_i64', [2])]), ctx.packer.int64('zero_axis', [0])]);
    const pos = ctx.one('Range', [ctx.one('Sub', [total, seq]), total, ctx.packer.inline('one_scalar_i64', DT.INT64, [], new Uint8Array(BigInt64Array.from([1n]).buffer))]);
    x = ctx.one('Add', [x, ctx.gatherRows(wpe, pos)]);
  }
  return { table, x };
}

/** Split/reshape constants of one attention geometry (head size, key/value heads). */
export interface HeadShapes {
  split: string;
  headsQ: string;
  headsK: string;
  flatQ: string;
  flatK: string;
  /** Unit weight of the scale-free v norm, when the architecture has one. */
  vNormOnes: string | null;
}

/** Shared constants of the attention blocks (RoPE caches, per-geometry split/reshape shapes). */
export interface AttentionConsts {
  cos: string;
  sin: string;
  /** Caches of sliding-window layers when they use their own theta. */
  localCos: string | null;
  localSin: string | null;
  /** The shapes of layer l (created once per distinct geometry). */
  shapes: (l: number) => HeadShapes;
  /** Per layer that owns a KV cache: its GQA key/value inputs (normed; rotated only with plain-op rotary) and cache names, for layers that share them. */
  kv: Map<number, { k: string; v: string; pastK: string; pastV: string }>;
  /** Rotary done with plain ops instead of inside GroupQueryAttention (see rotary.ts), or null. */
  graphRotary: RotaryTables | null;
  /** Slice bounds of a cache's last `kv_tail` positions: [total - kv_tail], [total], axis [2]. */
  tail: { starts: string; ends: string; axes: string };
}

export function attentionConsts(ctx: GraphContext): AttentionConsts {
  const { arch, packer } = ctx;
  const half = arch.rope.rotaryDim / 2;
  const { cos, sin } = ropeCaches(arch.rope, ctx.plan.maxPositions);
  const local = arch.ropeLocal === null ? null : ropeCaches(arch.ropeLocal, ctx.plan.maxPositions);
  const localHalf = arch.ropeLocal === null ? half : arch.ropeLocal.rotaryDim / 2;
  const byGeometry = new Map<string, HeadShapes>();
  const shapes = (l: number): HeadShapes => {
    const { headDim: D, numKvHeads: nKv } = layerHeads(arch, l);
    const key = `${D}x${nKv}`;
    const known = byGeometry.get(key);
    if (known) return known;
    // The first geometry keeps the historical constant names.
    const sfx = byGeometry.size === 0 ? '' : `_${key}`;
    const q = arch.numHeads * D;
    const kv = nKv * D;
    const made: HeadShapes = {
      split: packer.int64(`split_qkv${sfx}`, [q, kv, kv]),
      headsQ: packer.int64(`shape_q_heads${sfx}`, [0, 0, arch.numHeads, D]),
      headsK: packer.int64(`shape_k_heads${sfx}`, [0, 0, nKv, D]),
      flatQ: packer.int64(`shape_q_flat${sfx}`, [0, 0, q]),
      flatK: packer.int64(`shape_k_flat${sfx}`, [0, 0, kv]),
      vNormOnes: arch.vNorm ? packer.add(`v_norm_ones${sfx}`, [D], (t) => t.fill(1)) : null,
    };
    byGeometry.set(key, made);
    return made;
  };
  return {
    cos: packer.add('rope_cos', [ctx.plan.maxPositions, half], cos),
    sin: packer.add('rope_sin', [ctx.plan.maxPositions, half], sin),
    localCos: local ? packer.add('rope_local_cos', [ctx.plan.maxPositions, localHalf], local.cos) : null,
    localSin: local ? packer.add('rope_local_sin', [ctx.plan.maxPositions, localHalf], local.sin) : null,
    shapes,
    kv: new Map(),
    graphRotary: needsGraphRotary(arch) ? rotaryTables(ctx) : null,
    tail: kvTailBounds(ctx),
  };
}

/** A per-head fused qkv weight ([q_h, k_h, v_h] per head) packed in its stored layout with its outputs regrouped to [all q, all k, all v]. */
function perHeadQkvWeight(ctx: GraphContext, packName: string, ref: WeightRef, columns: Int32Array, inF: number): LinearWeight {
  const outF = columns.length;
  const outIn = !ctx.arch.transposedLinear;
  ctx.expect(ref, outIn ? [outF, inF] : [inF, outF]);
  const name = ctx.packer.add(packName, outIn ? [outF, inF] : [inF, outF], (t) => {
    const w = ctx.read(ref);
    for (let o = 0; o < outF; o++) {
      const c = columns[o] as number;
      if (outIn) t.set(w.subarray(o * inF, (o + 1) * inF), c * inF);
      else for (let i = 0; i < inF; i++) t[i * outF + c] = w[i * outF + o] as number;
    }
  });
  return { name, outIn };
}

/** Fused q/k/v weight (outputs [q, k, v]), whether the checkpoint stores it fused or as three tensors. */
function qkvWeights(ctx: GraphContext, l: number): { w: LinearWeight; bias: string | null } {
  const { arch, packer } = ctx;
  const H = arch.hiddenSize;
  const { q, kv } = layerWidths(arch, l);
  const shared = isKvShared(arch, l);
  const kAsV = keysAsValues(arch, l);
  const part = (module: 'q_proj' | 'k_proj' | 'v_proj' | 'qkv_proj', p: 'weight' | 'bias' = 'weight') => ({ layer: l, module, part: p }) as const;
  const columns = qkvColumnMap(arch);
  const w = shared
    ? linearWeight(ctx, `l${l}_wq`, part('q_proj'), q, H)
    : kAsV
      ? fusedLinearWeight(ctx, `l${l}_wqk`, [part('q_proj'), part('k_proj')], [q, kv], H)
      : columns
        ? perHeadQkvWeight(ctx, `l${l}_wqkv`, part('qkv_proj'), columns, H)
        : arch.fused.qkv
          ? linearWeight(ctx, `l${l}_wqkv`, part('qkv_proj'), q + 2 * kv, H)
          : fusedLinearWeight(ctx, `l${l}_wqkv`, [part('q_proj'), part('k_proj'), part('v_proj')], [q, kv, kv], H);
  if (!arch.qkvBias) return { w, bias: null };
  if (shared) return { w, bias: packer.add(`l${l}_bq`, [q], (t) => ctx.readInto(part('q_proj', 'bias'), t)) };
  if (kAsV) {
    const bias = packer.add(`l${l}_bqk`, [q + kv], (t) => {
      t.set(ctx.read(part('q_proj', 'bias')), 0);
      t.set(ctx.read(part('k_proj', 'bias')), q);
    });
    return { w, bias };
  }
  const bias = packer.add(`l${l}_bqkv`, [q + 2 * kv], (t) => {
    if (columns) {
      const b = ctx.read(part('qkv_proj', 'bias'));
      for (let o = 0; o < columns.length; o++) t[columns[o] as number] = b[o] as number;
    } else if (arch.fused.qkv) t.set(ctx.read(part('qkv_proj', 'bias')));
    else {
      t.set(ctx.read(part('q_proj', 'bias')), 0);
      t.set(ctx.read(part('k_proj', 'bias')), q);
      t.set(ctx.read(part('v_proj', 'bias')), q + kv);
    }
  });
  return { w, bias };
}

/** Self-attention of layer l on the normed input; returns the o_proj output (before the residual add). */
export function attention(ctx: GraphContext, l: number, input: string, consts: AttentionConsts): string {
  const { arch } = ctx;
  const { headDim: D, numKvHeads: nKv } = layerHeads(arch, l);
  const q = arch.numHeads * D;
  const c = { ...consts, ...consts.shapes(l) };
  const { w, bias } = qkvWeights(ctx, l);
  const qkv = projection(ctx, input, w, `${l}_qkv`, bias);
  const source = kvSource(arch, l);
  let gqaInputs: string[];
  if (source !== l) {
    // KV sharing (gemma4): queries only; keys/values and cache are the source layer's (same type, so same RoPE and window).
    const from = c.kv.get(source);
    if (!from) throw new ModelError(`internal: layer ${l} shares the keys/values of layer ${source}, which has none`, 'SWAY_RUNTIME');
    const qn = ctx.one('Reshape', [norm(ctx, ctx.one('Reshape', [qkv, c.headsQ]), { layer: l, module: 'q_norm' }, `l${l}_qnorm`, D), c.flatQ]);
    // With plain-op rotary the source's stored keys are already rotated; only the queries are rotated here.
    const qh = c.graphRotary && (arch.ropeLayers[l] ?? true) ? graphRotate(ctx, l, qn, arch.numHeads, c.graphRotary, `l${l}_rq`) : qn;
    return attend(ctx, l, [qh, from.k, from.v], from.pastK, from.pastV, null, c);
  }
  if (arch.qkNorm === 'per_head') {
    let parts: [string, string, string];
    if (keysAsValues(arch, l)) {
      // gemma4 attention_k_eq_v: the raw key projection is also the value (v norm below, no k norm or RoPE on it).
      const { q: qw, kv: kvw } = layerWidths(arch, l);
      const name = `split_qk_${qw}_${kvw}`;
      const split = ctx.packer.has(name) ? name : ctx.packer.int64(name, [qw, kvw]);
      const [qs, ks] = ctx.add('Split', [qkv, split], { axis: -1 }, undefined, 2) as [string, string];
      parts = [qs, ks, ks];
    } else {
      parts = ctx.add('Split', [qkv, c.split], { axis: -1 }, undefined, 3) as [string, string, string];
    }
    const [qs, ks, vs] = parts;
    const qh = ctx.one('Reshape', [norm(ctx, ctx.one('Reshape', [qs, c.headsQ]), { layer: l, module: 'q_norm' }, `l${l}_qnorm`, D), c.flatQ]);
    const kh = ctx.one('Reshape', [norm(ctx, ctx.one('Reshape', [ks, c.headsK]), { layer: l, module: 'k_norm' }, `l${l}_knorm`, D), c.flatK]);
    // gemma4 v_norm: RMS-normalise each value head, no weight.
    const vh = c.vNormOnes ? ctx.one('Reshape', [rmsNorm(ctx, ctx.one('Reshape', [vs, c.headsK]), c.vNormOnes), c.flatK]) : vs;
    gqaInputs = [qh, kh, vh];
  } else if (arch.qkNorm === 'full') {
    const [qs, ks, vs] = ctx.add('Split', [qkv, c.split], { axis: -1 }, undefined, 3) as [string, string, string];
    gqaInputs = [norm(ctx, qs, { layer: l, module: 'q_norm' }, `l${l}_qnorm`, q), norm(ctx, ks, { layer: l, module: 'k_norm' }, `l${l}_knorm`, nKv * D), vs];
  } else {
    gqaInputs = [qkv, '', ''];
  }
  const gr = c.graphRotary;
  if (gr && (arch.ropeLayers[l] ?? true)) {
    // Plain-op RoPE before GroupQueryAttention (which then does none), so the cached and shared keys are rotated ones.
    if (gqaInputs[1] === '') gqaInputs = ctx.add('Split', [qkv, c.split], { axis: -1 }, undefined, 3);
    gqaInputs = [graphRotate(ctx, l, gqaInputs[0] as string, arch.numHeads, gr, `l${l}_rq`), graphRotate(ctx, l, gqaInputs[1] as string, nKv, gr, `l${l}_rk`), gqaInputs[2] as string];
  }
  const pastK = `past_key_${l}`;
  const pastV = `past_value_${l}`;
  ctx.inputs.push({ name: pastK, elemType: DT.FLOAT, shape: ['batch', nKv, 'past', D] });
  ctx.inputs.push({ name: pastV, elemType: DT.FLOAT, shape: ['batch', nKv, 'past', D] });
  if (gqaInputs[1]) c.kv.set(l, { k: gqaInputs[1], v: gqaInputs[2] as string, pastK, pastV });
  return attend(ctx, l, gqaInputs, pastK, pastV, { key: `present_key_${l}`, value: `present_value_${l}` }, c);
}

/**
 * The `kv_tail` input (int64 scalar) and the bounds that cut a present cache to its last
 * kv_tail positions: a long row run in segments fetches only each segment's new keys and
 * values (`kv_new_*`) instead of its whole grown cache (0 everywhere else: empty outputs).
 */
function kvTailBounds(ctx: GraphContext): AttentionConsts['tail'] {
  const { packer } = ctx;
  ctx.inputs.push({ name: 'kv_tail', elemType: DT.INT64, shape: [] });
  const shape1 = packer.int64('kv_tail_shape', [1]);
  const total = ctx.one('Reshape', [ctx.one('Cast', ['total_seq_len'], { to: DT.INT64 }), shape1]);
  const starts = ctx.one('Sub', [total, ctx.one('Reshape', ['kv_tail', shape1])]);
  return { starts, ends: total, axes: packer.int64('kv_tail_axis', [2]) };
}

/** Plain-op RoPE (graph/rotary.ts) of x [B, S, heads * D] with layer l's table (global or sliding) and head size. */
function graphRotate(ctx: GraphContext, l: number, x: string, heads: number, gr: RotaryTables, tag: string): string {
  const { arch } = ctx;
  const local = (arch.slidingWindow[l] ?? null) !== null && arch.ropeLocal !== null && gr.localCos !== null && gr.localSin !== null;
  const rot = local && arch.ropeLocal ? arch.ropeLocal.rotaryDim : arch.rope.rotaryDim;
  const cos = local ? (gr.localCos as string) : gr.cos;
  const sin = local ? (gr.localSin as string) : gr.sin;
  return applyGraphRotary(ctx, x, heads, layerHeads(arch, l).headDim, rot, cos, sin, tag);
}

/**
 * GroupQueryAttention of layer l over its q/k/v inputs and a cache, then o_proj. `present`
 * names the cache outputs of a layer that owns its cache; a KV-shared layer's are discarded.
 * With plain-op rotary (`graphRotary`) q and k arrive rotated; otherwise GQA rotates them.
 */
function attend(ctx: GraphContext, l: number, gqaInputs: string[], pastK: string, pastV: string, present: { key: string; value: string } | null, c: AttentionConsts): string {
  const { arch, packer } = ctx;
  const H = arch.hiddenSize;
  const { headDim: D, numKvHeads: nKv } = layerHeads(arch, l);
  const q = arch.numHeads * D;
  const window = arch.slidingWindow[l] ?? null;
  const fusedRotary = (arch.ropeLayers[l] ?? true) && !c.graphRotary;
  const local = window !== null && c.localCos !== null && c.localSin !== null;
  const caches = fusedRotary ? [local ? (c.localCos as string) : c.cos, local ? (c.localSin as string) : c.sin] : [];
  const presentK = present?.key ?? ctx.tmp('shared_present_key');
  const presentV = present?.value ?? ctx.tmp('shared_present_value');
  const attnOut = ctx.tmp('attn');
  ctx.nodes.push({
    op: 'GroupQueryAttention',
    domain: 'com.microsoft',
    inputs: [...gqaInputs, pastK, pastV, 'seqlens_k', 'total_seq_len', ...caches],
    outputs: [attnOut, presentK, presentV],
    attrs: {
      num_heads: arch.numHeads,
      kv_num_heads: nKv,
      scale: { float: arch.attentionScale },
      ...(arch.attnSoftcap !== null ? { softcap: { float: arch.attnSoftcap } } : {}),
      do_rotary: fusedRotary ? 1 : 0,
      rotary_interleaved: 0,
      local_window_size: window === null ? -1 : window,
    },
  });
  if (present) {
    ctx.outputs.push({ name: presentK, elemType: DT.FLOAT, shape: ['batch', nKv, 'total', D] });
    ctx.outputs.push({ name: presentV, elemType: DT.FLOAT, shape: ['batch', nKv, 'total', D] });
    for (const [cache, out] of [[presentK, `kv_new_key_${l}`], [presentV, `kv_new_value_${l}`]] as const) {
      ctx.nodes.push({ op: 'Slice', inputs: [cache, c.tail.starts, c.tail.ends, c.tail.axes], outputs: [out] });
      ctx.outputs.push({ name: out, elemType: DT.FLOAT, shape: ['batch', nKv, 'tail', D] });
    }
  }
  const oRef = { layer: l, module: 'o_proj' } as const;
  const wo = linearWeight(ctx, `l${l}_wo`, oRef, H, q);
  const oBias = arch.oBias ? packer.add(`l${l}_bo`, [H], (t) => ctx.readInto({ ...oRef, part: 'bias' }, t)) : null;
  return projection(ctx, attnOut, wo, `${l}_o`, oBias);
}

/** MLP of layer l on the normed input (gated: down(act(gate) * up); plain: down(act(up))); returns the down_proj output. */
export function mlp(ctx: GraphContext, l: number, input: string, splitGu: string): string {
  const { arch, packer } = ctx;
  const H = arch.hiddenSize;
  const I = layerIntermediate(arch, l);
  // gemma4 double-wide MLP: KV-shared layers split a wider gate/up output.
  const wideSplit = `split_gu_${I}`;
  if (I !== arch.intermediateSize && !packer.has(wideSplit)) packer.int64(wideSplit, [I, I]);
  const split = I === arch.intermediateSize ? splitGu : wideSplit;
  const ref = (module: 'gate_proj' | 'up_proj' | 'gate_up_proj' | 'down_proj', part: 'weight' | 'bias' = 'weight') => ({ layer: l, module, part }) as const;
  const gated = arch.mlp === 'gated';
  const inW = !gated
    ? linearWeight(ctx, `l${l}_wgu`, ref('up_proj'), I, H)
    : arch.fused.gateUp
      ? linearWeight(ctx, `l${l}_wgu`, ref('gate_up_proj'), 2 * I, H)
      : fusedLinearWeight(ctx, `l${l}_wgu`, [ref('gate_proj'), ref('up_proj')], [I, I], H);
  const inOut = gated ? 2 * I : I;
  let inBias: string | null = null;
  let downBias: string | null = null;
  if (arch.mlpBias) {
    inBias = packer.add(`l${l}_bgu`, [inOut], (t) => {
      if (!gated) t.set(ctx.read(ref('up_proj', 'bias')));
      else if (arch.fused.gateUp) t.set(ctx.read(ref('gate_up_proj', 'bias')));
      else {
        t.set(ctx.read(ref('gate_proj', 'bias')), 0);
        t.set(ctx.read(ref('up_proj', 'bias')), I);
      }
    });
    downBias = packer.add(`l${l}_bdown`, [H], (t) => ctx.readInto(ref('down_proj', 'bias'), t));
  }
  const h = projection(ctx, input, inW, `${l}_gate_up`, inBias);
  let act: string;
  if (gated) {
    const [gate, up] = ctx.add('Split', [h, split], { axis: -1 }, undefined, 2) as [string, string];
    act = ctx.one('Mul', [activation(ctx, gate), up]);
  } else {
    act = activation(ctx, h);
  }
  const wdown = linearWeight(ctx, `l${l}_wdown`, ref('down_proj'), H, I);
  return projection(ctx, act, wdown, `${l}_down`, downBias);
}

/**
 * Per-layer inputs (gemma4 PLE): the token's per-layer embedding (× √P) plus a normed
 * projection of the scaled input embeddings (× H^-0.5), both over [layers, P], summed and
 * scaled by 2^-0.5; returns one [batch, seq, P] slice per layer.
 */
export function perLayerInputs(ctx: GraphContext, x: string): string[] {
  const { arch, packer } = ctx;
  const spec = arch.perLayerInput;
  if (!spec) return [];
  const H = arch.hiddenSize;
  const L = arch.numLayers;
  const P = spec.size;
  ctx.expect({ module: 'per_layer_embed' }, [spec.vocab, L * P]);
  const table = ctx.stored('ple_embed', [spec.vocab, L * P], { module: 'per_layer_embed' });
  const tok = ctx.one('Mul', [ctx.gatherRows(table, 'input_ids'), packer.scalar('ple_embed_scale', Math.sqrt(P))]);
  const projW = linearWeight(ctx, 'ple_model_proj', { module: 'per_layer_model_proj' }, L * P, H);
  const proj = ctx.one('Mul', [applyLinear(ctx, x, projW), packer.scalar('ple_proj_scale', 1 / Math.sqrt(H))]);
  const normed = norm(ctx, ctx.one('Reshape', [proj, packer.int64('shape_ple_layers', [0, 0, L, P])]), { module: 'per_layer_proj_norm' }, 'ple_proj_norm', P);
  const flat = ctx.one('Reshape', [normed, packer.int64('shape_ple_flat', [0, 0, L * P])]);
  const combined = ctx.one('Mul', [ctx.one('Add', [flat, tok]), packer.scalar('ple_input_scale', Math.SQRT1_2)]);
  const axis = packer.int64('ple_axis', [2]);
  return Array.from({ length: L }, (_, l) => ctx.one('Slice', [combined, packer.int64(`ple_start_${l}`, [l * P]), packer.int64(`ple_end_${l}`, [(l + 1) * P]), axis]));
}

/** gemma4 layer tail: x + norm(proj(act(gate(x)) * input_l)), then × layer_scalar (each when the architecture has it). */
function layerTail(ctx: GraphContext, l: number, x: string, perLayerInput: string | undefined): string {
  const { arch, packer } = ctx;
  const H = arch.hiddenSize;
  let out = x;
  if (perLayerInput !== undefined && arch.perLayerInput) {
    const P = arch.perLayerInput.size;
    const gate = applyLinear(ctx, out, linearWeight(ctx, `l${l}_ple_gate`, { layer: l, module: 'per_layer_gate' }, P, H));
    const proj = applyLinear(ctx, ctx.one('Mul', [activation(ctx, gate), perLayerInput]), linearWeight(ctx, `l${l}_ple_proj`, { layer: l, module: 'per_layer_proj' }, H, P));
    out = ctx.one('Add', [out, norm(ctx, proj, { layer: l, module: 'post_per_layer_norm' }, `l${l}_ple_norm`, H)]);
  }
  if (arch.layerScalar) {
    const ref = { layer: l, module: 'layer_scalar', part: 'param' } as const;
    ctx.expect(ref, [1]);
    out = ctx.one('Mul', [out, packer.add(`l${l}_scalar`, [1], (t) => ctx.readInto(ref, t))]);
  }
  return out;
}

/** One decoder layer: norm placement (pre / sandwich / post) and residual layout (sequential / parallel) from the traits. */
export function decoderLayer(ctx: GraphContext, l: number, x: string, c: AttentionConsts, splitGu: string, perLayerInput?: string): string {
  const { arch } = ctx;
  const H = arch.hiddenSize;
  const pre = arch.normPlacement !== 'post';
  const post = arch.normPlacement !== 'pre';
  const scaled = (branch: string) => (arch.residualMultiplier === 1 ? branch : ctx.one('Mul', [branch, ctx.packer.scalar('residual_multiplier', arch.residualMultiplier)]));
  const preNorm = (input: string, module: 'attn_norm' | 'mlp_norm', name: string) => (pre ? norm(ctx, input, { layer: l, module }, name, H) : input);
  const postNorm = (input: string, module: 'post_attn_norm' | 'post_mlp_norm', name: string) => (post ? norm(ctx, input, { layer: l, module }, name, H) : input);
  const a = postNorm(attention(ctx, l, preNorm(x, 'attn_norm', `l${l}_ln1`), c), 'post_attn_norm', `l${l}_post_attn_norm`);
  if (arch.residual === 'parallel') {
    const m = postNorm(mlp(ctx, l, preNorm(x, 'mlp_norm', `l${l}_ln2`), splitGu), 'post_mlp_norm', `l${l}_post_mlp_norm`);
    return layerTail(ctx, l, ctx.one('Add', [ctx.one('Add', [x, scaled(a)]), scaled(m)]), perLayerInput);
  }
  const h = ctx.one('Add', [x, scaled(a)]);
  const m = postNorm(mlp(ctx, l, preNorm(h, 'mlp_norm', `l${l}_ln2`), splitGu), 'post_mlp_norm', `l${l}_post_mlp_norm`);
  return layerTail(ctx, l, ctx.one('Add', [h, scaled(m)]), perLayerInput);
}

/** Final norm (and its saved copy), LM head (tied or not, saved copy, LoRA), logit scaling. */
export function head(ctx: GraphContext, x: string): string {
  const { arch, packer } = ctx;
  const V = arch.vocabSize;
  const H = arch.hiddenSize;
  const picked = ctx.one('GatherND', [x, 'gather_idx'], { batch_dims: 1 });
  const normRef = { module: 'final_norm' } as const;
  let fn = norm(ctx, picked, normRef, 'final_norm', H);
  const savedNorm = ctx.plan.overrides.get(ctx.name(normRef));
  if (savedNorm) fn = selectSaved(ctx, fn, norm(ctx, picked, normRef, 'final_norm_saved', H, savedNorm));
  // A tied head is a second initializer over the embedding's bytes, not the embedding
  // initializer itself: onnxruntime casts and prepacks the head and drops that copy, while
  // the embedding Gather keeps reading its own (stored-type) table. One shared initializer
  // kept the whole table resident twice (as read and prepacked).
  let headW: string;
  if (arch.tieWordEmbeddings) headW = ctx.asFloat(packer.alias('lm_head_tied', 'embed'));
  else {
    ctx.expect({ module: 'lm_head' }, [V, H]);
    headW = ctx.weight('lm_head', [V, H], [{ module: 'lm_head' }]);
  }
  let logits = ctx.one('FusedMatMul', [fn, headW], { transB: 1 }, 'com.microsoft');
  const savedHead = ctx.plan.overrides.get(ctx.name({ module: 'lm_head' }));
  if (savedHead) logits = selectSaved(ctx, logits, ctx.one('FusedMatMul', [fn, packer.add('lm_head_saved', [V, H], savedHead)], { transB: 1 }, 'com.microsoft'));
  const headGroup = ctx.group('head');
  if (headGroup) {
    logits = ctx.one('Add', [logits, ctx.loraBranch(headGroup, fn)]);
    if (headGroup.hasBias) {
      logits = ctx.one('Add', [logits, ctx.perViewVector(`lora_${headGroup.key}_bias`, headGroup.outFeatures)]);
    }
  }
  if (arch.logitsDivisor !== 1) logits = ctx.one('Div', [logits, packer.scalar('logits_divisor', arch.logitsDivisor)]);
  if (arch.finalLogitSoftcap !== null) logits = softcap(ctx, logits, arch.finalLogitSoftcap, 'final_logit_softcap');
  return logits;
}

/**
 * log p(target) at each picked position: the target's logit minus the log-sum-exp over the
 * vocabulary ([batch, npos]), so a completion or rolling logprob fetches these values
 * instead of vocabulary-sized logits.
 */
export function targetLogprobs(ctx: GraphContext, logits: string): string {
  const { packer } = ctx;
  const last = packer.int64('target_axis', [-1]);
  const picked = ctx.one('GatherElements', [logits, ctx.one('Unsqueeze', ['target_ids', last])], { axis: -1 });
  const lse = ctx.one('ReduceLogSumExp', [logits], { axes: [-1], keepdims: 1 });
  return ctx.one('Squeeze', [ctx.one('Sub', [picked, lse]), last]);
}
