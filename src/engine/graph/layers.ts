/**
 * The decoder's pieces as graph helpers: embedding, attention block, MLP block and head.
 * Each reads only ArchSpec traits and names tensors only through the family's naming.
 */
import { DT } from '../onnx/model.js';
import { ropeCaches } from '../rope.js';
import type { WeightRef } from '../families.js';
import type { GraphContext } from './context.js';
import { fusedTInto, transposeInto } from './packer.js';

/** Base MatMul + LoRA branch (with its bias) + DoRA gains + base bias, in PEFT's order. */
export function projection(ctx: GraphContext, input: string, weightT: string, key: string, bias: string | null): string {
  let y = ctx.one('MatMul', [input, weightT]);
  const g = ctx.group(key);
  if (g) {
    const { a, b } = ctx.loraInputs(g);
    y = ctx.one('Add', [y, ctx.one('MatMul', [ctx.one('MatMul', [input, a]), b])]);
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
  if (ctx.arch.norm.bias) ins.push(ctx.packer.add(`${packName}_bias`, [length], (t) => t.set(ctx.read({ ...ref, part: 'bias' }))));
  return ctx.one('LayerNormalization', ins, { axis: -1, epsilon: { float: ctx.arch.norm.eps } });
}

/** Stored-orientation-aware [in, out] packing of one linear weight ([out, in] in HF Linear, [in, out] in Conv1D). */
export function linearT(ctx: GraphContext, packName: string, ref: WeightRef, outF: number, inF: number): string {
  ctx.expect(ref, ctx.arch.transposedLinear ? [inF, outF] : [outF, inF]);
  return ctx.packer.add(packName, [inF, outF], (t) => (ctx.arch.transposedLinear ? t.set(ctx.read(ref)) : transposeInto(t, ctx.read(ref), outF, inF)));
}

/** Several linear weights side by side as one [in, sum(out)] weight. */
export function fusedLinearT(ctx: GraphContext, packName: string, refs: WeightRef[], outs: number[], inF: number): string {
  refs.forEach((r, k) => ctx.expect(r, ctx.arch.transposedLinear ? [inF, outs[k] as number] : [outs[k] as number, inF]));
  const total = outs.reduce((a, b) => a + b, 0);
  return ctx.packer.add(packName, [inF, total], (t) => {
    if (!ctx.arch.transposedLinear) return fusedTInto(t, refs.map((r) => ctx.read(r)), outs, inF);
    let col = 0;
    refs.forEach((r, k) => {
      const w = ctx.read(r);
      const out = outs[k] as number;
      for (let i = 0; i < inF; i++) for (let o = 0; o < out; o++) t[i * total + col + o] = w[i * out + o] as number;
      col += out;
    });
  });
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
  const table = ctx.packer.add('embed', [V, H], (t) => t.set(ctx.read({ module: 'embed' })));
  let x = ctx.one('Gather', [table, 'input_ids'], { axis: 0 });
  const saved = ctx.plan.overrides.get(ctx.name({ module: 'embed' }));
  if (saved) x = selectSaved(ctx, x, ctx.one('Gather', [ctx.packer.add('embed_saved', [V, H], saved), 'input_ids'], { axis: 0 }));
  if (arch.embeddingScale !== 1) x = ctx.one('Mul', [x, ctx.packer.scalar('embed_scale', arch.embeddingScale)]);
  if (arch.positions === 'learned') {
    // Positions of this call's tokens: total_seq_len - seq .. total_seq_len - 1 (prefill from 0, or one decode step).
    const P = arch.maxPositionEmbeddings;
    ctx.expect({ module: 'positions' }, [P, H]);
    const wpe = ctx.packer.add('positions', [P, H], (t) => t.set(ctx.read({ module: 'positions' })));
    const total = ctx.one('Cast', ['total_seq_len'], { to: DT.INT64 });
    const seq = ctx.one('Squeeze', [ctx.one('Slice', [ctx.one('Shape', ['input_ids']), ctx.packer.int64('one_i64', [1]), ctx.packer.int64('two_i64', [2])]), ctx.packer.int64('zero_axis', [0])]);
    const pos = ctx.one('Range', [ctx.one('Sub', [total, seq]), total, ctx.packer.inline('one_scalar_i64', DT.INT64, [], new Uint8Array(BigInt64Array.from([1n]).buffer))]);
    x = ctx.one('Add', [x, ctx.one('Gather', [wpe, pos], { axis: 0 })]);
  }
  return { table, x };
}

/** Shared constants of the attention blocks (RoPE caches, split/reshape shapes). */
export interface AttentionConsts {
  cos: string;
  sin: string;
  /** Caches of sliding-window layers when they use their own theta. */
  localCos: string | null;
  localSin: string | null;
  split: string;
  headsQ: string;
  headsK: string;
  flatQ: string;
  flatK: string;
}

export function attentionConsts(ctx: GraphContext): AttentionConsts {
  const { arch, packer } = ctx;
  const D = arch.headDim;
  const q = arch.numHeads * D;
  const kv = arch.numKvHeads * D;
  const half = arch.rope.rotaryDim / 2;
  const { cos, sin } = ropeCaches(arch.rope, ctx.plan.maxPositions);
  const local = arch.ropeLocalTheta === null ? null : ropeCaches({ theta: arch.ropeLocalTheta, rotaryDim: arch.rope.rotaryDim, scaling: { type: 'default' } }, ctx.plan.maxPositions);
  return {
    cos: packer.add('rope_cos', [ctx.plan.maxPositions, half], cos),
    sin: packer.add('rope_sin', [ctx.plan.maxPositions, half], sin),
    localCos: local ? packer.add('rope_local_cos', [ctx.plan.maxPositions, half], local.cos) : null,
    localSin: local ? packer.add('rope_local_sin', [ctx.plan.maxPositions, half], local.sin) : null,
    split: packer.int64('split_qkv', [q, kv, kv]),
    headsQ: packer.int64('shape_q_heads', [0, 0, arch.numHeads, D]),
    headsK: packer.int64('shape_k_heads', [0, 0, arch.numKvHeads, D]),
    flatQ: packer.int64('shape_q_flat', [0, 0, q]),
    flatK: packer.int64('shape_k_flat', [0, 0, kv]),
  };
}

/** Fused [H, q+2kv] q/k/v weight, whether the checkpoint stores it fused or as three tensors. */
function qkvWeights(ctx: GraphContext, l: number): { w: string; bias: string | null } {
  const { arch, packer } = ctx;
  const H = arch.hiddenSize;
  const q = arch.numHeads * arch.headDim;
  const kv = arch.numKvHeads * arch.headDim;
  const part = (module: 'q_proj' | 'k_proj' | 'v_proj' | 'qkv_proj', p: 'weight' | 'bias' = 'weight') => ({ layer: l, module, part: p }) as const;
  const w = arch.fused.qkv
    ? linearT(ctx, `l${l}_wqkv`, part('qkv_proj'), q + 2 * kv, H)
    : fusedLinearT(ctx, `l${l}_wqkv`, [part('q_proj'), part('k_proj'), part('v_proj')], [q, kv, kv], H);
  if (!arch.qkvBias) return { w, bias: null };
  const bias = packer.add(`l${l}_bqkv`, [q + 2 * kv], (t) => {
    if (arch.fused.qkv) t.set(ctx.read(part('qkv_proj', 'bias')));
    else {
      t.set(ctx.read(part('q_proj', 'bias')), 0);
      t.set(ctx.read(part('k_proj', 'bias')), q);
      t.set(ctx.read(part('v_proj', 'bias')), q + kv);
    }
  });
  return { w, bias };
}

/** Self-attention of layer l on the normed input; returns the o_proj output (before the residual add). */
export function attention(ctx: GraphContext, l: number, input: string, c: AttentionConsts): string {
  const { arch, packer } = ctx;
  const H = arch.hiddenSize;
  const D = arch.headDim;
  const q = arch.numHeads * D;
  const { w, bias } = qkvWeights(ctx, l);
  const qkv = projection(ctx, input, w, `${l}_qkv`, bias);
  let gqaInputs: string[];
  if (arch.qkNorm === 'per_head') {
    const [qs, ks, vs] = ctx.add('Split', [qkv, c.split], { axis: -1 }, undefined, 3) as [string, string, string];
    const qh = ctx.one('Reshape', [norm(ctx, ctx.one('Reshape', [qs, c.headsQ]), { layer: l, module: 'q_norm' }, `l${l}_qnorm`, D), c.flatQ]);
    const kh = ctx.one('Reshape', [norm(ctx, ctx.one('Reshape', [ks, c.headsK]), { layer: l, module: 'k_norm' }, `l${l}_knorm`, D), c.flatK]);
    gqaInputs = [qh, kh, vs];
  } else if (arch.qkNorm === 'full') {
    const [qs, ks, vs] = ctx.add('Split', [qkv, c.split], { axis: -1 }, undefined, 3) as [string, string, string];
    gqaInputs = [norm(ctx, qs, { layer: l, module: 'q_norm' }, `l${l}_qnorm`, q), norm(ctx, ks, { layer: l, module: 'k_norm' }, `l${l}_knorm`, arch.numKvHeads * D), vs];
  } else {
    gqaInputs = [qkv, '', ''];
  }
  const pastK = `past_key_${l}`;
  const pastV = `past_value_${l}`;
  ctx.inputs.push({ name: pastK, elemType: DT.FLOAT, shape: ['batch', arch.numKvHeads, 'past', D] });
  ctx.inputs.push({ name: pastV, elemType: DT.FLOAT, shape: ['batch', arch.numKvHeads, 'past', D] });
  const window = arch.slidingWindow[l] ?? null;
  const rotary = arch.ropeLayers[l] ?? true;
  const local = window !== null && c.localCos !== null && c.localSin !== null;
  const caches = rotary ? [local ? (c.localCos as string) : c.cos, local ? (c.localSin as string) : c.sin] : [];
  const presentK = `present_key_${l}`;
  const presentV = `present_value_${l}`;
  const attnOut = ctx.tmp('attn');
  ctx.nodes.push({
    op: 'GroupQueryAttention',
    domain: 'com.microsoft',
    inputs: [...gqaInputs, pastK, pastV, 'seqlens_k', 'total_seq_len', ...caches],
    outputs: [attnOut, presentK, presentV],
    attrs: {
      num_heads: arch.numHeads,
      kv_num_heads: arch.numKvHeads,
      scale: { float: arch.attentionScale },
      ...(arch.attnSoftcap !== null ? { softcap: { float: arch.attnSoftcap } } : {}),
      do_rotary: rotary ? 1 : 0,
      rotary_interleaved: 0,
      local_window_size: window === null ? -1 : window,
    },
  });
  ctx.outputs.push({ name: presentK, elemType: DT.FLOAT, shape: ['batch', arch.numKvHeads, 'total', D] });
  ctx.outputs.push({ name: presentV, elemType: DT.FLOAT, shape: ['batch', arch.numKvHeads, 'total', D] });
  const oRef = { layer: l, module: 'o_proj' } as const;
  const wo = linearT(ctx, `l${l}_wo`, oRef, H, q);
  const oBias = arch.oBias ? packer.add(`l${l}_bo`, [H], (t) => t.set(ctx.read({ ...oRef, part: 'bias' }))) : null;
  return projection(ctx, attnOut, wo, `${l}_o`, oBias);
}

/** MLP of layer l on the normed input (gated: down(act(gate) * up); plain: down(act(up))); returns the down_proj output. */
export function mlp(ctx: GraphContext, l: number, input: string, splitGu: string): string {
  const { arch, packer } = ctx;
  const H = arch.hiddenSize;
  const I = arch.intermediateSize;
  const ref = (module: 'gate_proj' | 'up_proj' | 'gate_up_proj' | 'down_proj', part: 'weight' | 'bias' = 'weight') => ({ layer: l, module, part }) as const;
  const gated = arch.mlp === 'gated';
  const inW = !gated
    ? linearT(ctx, `l${l}_wgu`, ref('up_proj'), I, H)
    : arch.fused.gateUp
      ? linearT(ctx, `l${l}_wgu`, ref('gate_up_proj'), 2 * I, H)
      : fusedLinearT(ctx, `l${l}_wgu`, [ref('gate_proj'), ref('up_proj')], [I, I], H);
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
    downBias = packer.add(`l${l}_bdown`, [H], (t) => t.set(ctx.read(ref('down_proj', 'bias'))));
  }
  const h = projection(ctx, input, inW, `${l}_gate_up`, inBias);
  let act: string;
  if (gated) {
    const [gate, up] = ctx.add('Split', [h, splitGu], { axis: -1 }, undefined, 2) as [string, string];
    act = ctx.one('Mul', [activation(ctx, gate), up]);
  } else {
    act = activation(ctx, h);
  }
  const wdown = linearT(ctx, `l${l}_wdown`, ref('down_proj'), H, I);
  return projection(ctx, act, wdown, `${l}_down`, downBias);
}

/** One decoder layer: norm placement (pre / sandwich / post) and residual layout (sequential / parallel) from the traits. */
export function decoderLayer(ctx: GraphContext, l: number, x: string, c: AttentionConsts, splitGu: string): string {
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
    return ctx.one('Add', [ctx.one('Add', [x, scaled(a)]), scaled(m)]);
  }
  const h = ctx.one('Add', [x, scaled(a)]);
  const m = postNorm(mlp(ctx, l, preNorm(h, 'mlp_norm', `l${l}_ln2`), splitGu), 'post_mlp_norm', `l${l}_post_mlp_norm`);
  return ctx.one('Add', [h, scaled(m)]);
}

/** Final norm (and its saved copy), LM head (tied or not, saved copy, LoRA), logit scaling. */
export function head(ctx: GraphContext, x: string, embedTable: string): string {
  const { arch, packer } = ctx;
  const V = arch.vocabSize;
  const H = arch.hiddenSize;
  const picked = ctx.one('GatherND', [x, 'gather_idx'], { batch_dims: 1 });
  const normRef = { module: 'final_norm' } as const;
  let fn = norm(ctx, picked, normRef, 'final_norm', H);
  const savedNorm = ctx.plan.overrides.get(ctx.name(normRef));
  if (savedNorm) fn = selectSaved(ctx, fn, norm(ctx, picked, normRef, 'final_norm_saved', H, savedNorm));
  let headW = embedTable;
  if (!arch.tieWordEmbeddings) {
    ctx.expect({ module: 'lm_head' }, [V, H]);
    headW = packer.add('lm_head', [V, H], (t) => t.set(ctx.read({ module: 'lm_head' })));
  }
  let logits = ctx.one('FusedMatMul', [fn, headW], { transB: 1 }, 'com.microsoft');
  const savedHead = ctx.plan.overrides.get(ctx.name({ module: 'lm_head' }));
  if (savedHead) logits = selectSaved(ctx, logits, ctx.one('FusedMatMul', [fn, packer.add('lm_head_saved', [V, H], savedHead)], { transB: 1 }, 'com.microsoft'));
  const headGroup = ctx.group('head');
  if (headGroup) {
    const { a, b } = ctx.loraInputs(headGroup);
    logits = ctx.one('Add', [logits, ctx.one('MatMul', [ctx.one('MatMul', [fn, a]), b])]);
    if (headGroup.hasBias) {
      logits = ctx.one('Add', [logits, ctx.perViewVector(`lora_${headGroup.key}_bias`, headGroup.outFeatures)]);
    }
  }
  if (arch.logitsDivisor !== 1) logits = ctx.one('Div', [logits, packer.scalar('logits_divisor', arch.logitsDivisor)]);
  if (arch.finalLogitSoftcap !== null) logits = softcap(ctx, logits, arch.finalLogitSoftcap, 'final_logit_softcap');
  return logits;
}
