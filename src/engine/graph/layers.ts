/**
 * The decoder's pieces as graph helpers: embedding, attention block, MLP block and head.
 * Each reads only ArchSpec traits and names tensors only through the family's naming.
 */
import { DT } from '../onnx/model.js';
import { ropeCaches } from '../rope.js';
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
      const lb = `lora_${g.key}_bias`;
      ctx.inputs.push({ name: lb, elemType: DT.FLOAT, shape: ['batch', 1, g.outFeatures] });
      y = ctx.one('Add', [y, lb]);
    }
    if (ctx.plan.dora && g.kind !== 'head') {
      const gain = `dora_${g.key}`;
      ctx.inputs.push({ name: gain, elemType: DT.FLOAT, shape: ['batch', 1, g.outFeatures] });
      y = ctx.one('Mul', [y, gain]);
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
  return { table, x };
}

/** Shared constants of the attention blocks (RoPE caches, split/reshape shapes). */
export interface AttentionConsts {
  cos: string;
  sin: string;
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
  return {
    cos: packer.add('rope_cos', [ctx.plan.maxPositions, half], cos),
    sin: packer.add('rope_sin', [ctx.plan.maxPositions, half], sin),
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
  let w: string;
  if (arch.fused.qkv) {
    ctx.expect(part('qkv_proj'), [q + 2 * kv, H]);
    w = packer.add(`l${l}_wqkv`, [H, q + 2 * kv], (t) => transposeInto(t, ctx.read(part('qkv_proj')), q + 2 * kv, H));
  } else {
    ctx.expect(part('q_proj'), [q, H]);
    ctx.expect(part('k_proj'), [kv, H]);
    ctx.expect(part('v_proj'), [kv, H]);
    w = packer.add(`l${l}_wqkv`, [H, q + 2 * kv], (t) => fusedTInto(t, [ctx.read(part('q_proj')), ctx.read(part('k_proj')), ctx.read(part('v_proj'))], [q, kv, kv], H));
  }
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
    const qn = normWeight(ctx, `l${l}_qnorm`, D, () => ctx.read({ layer: l, module: 'q_norm' }));
    const kn = normWeight(ctx, `l${l}_knorm`, D, () => ctx.read({ layer: l, module: 'k_norm' }));
    const qh = ctx.one('Reshape', [rmsNorm(ctx, ctx.one('Reshape', [qs, c.headsQ]), qn), c.flatQ]);
    const kh = ctx.one('Reshape', [rmsNorm(ctx, ctx.one('Reshape', [ks, c.headsK]), kn), c.flatK]);
    gqaInputs = [qh, kh, vs];
  } else {
    gqaInputs = [qkv, '', ''];
  }
  const pastK = `past_key_${l}`;
  const pastV = `past_value_${l}`;
  ctx.inputs.push({ name: pastK, elemType: DT.FLOAT, shape: ['batch', arch.numKvHeads, 'past', D] });
  ctx.inputs.push({ name: pastV, elemType: DT.FLOAT, shape: ['batch', arch.numKvHeads, 'past', D] });
  const window = arch.slidingWindow[l] ?? null;
  const presentK = `present_key_${l}`;
  const presentV = `present_value_${l}`;
  const attnOut = ctx.tmp('attn');
  ctx.nodes.push({
    op: 'GroupQueryAttention',
    domain: 'com.microsoft',
    inputs: [...gqaInputs, pastK, pastV, 'seqlens_k', 'total_seq_len', c.cos, c.sin],
    outputs: [attnOut, presentK, presentV],
    attrs: {
      num_heads: arch.numHeads,
      kv_num_heads: arch.numKvHeads,
      scale: { float: arch.attentionScale },
      do_rotary: 1,
      rotary_interleaved: 0,
      local_window_size: window === null ? -1 : window,
    },
  });
  ctx.outputs.push({ name: presentK, elemType: DT.FLOAT, shape: ['batch', arch.numKvHeads, 'total', D] });
  ctx.outputs.push({ name: presentV, elemType: DT.FLOAT, shape: ['batch', arch.numKvHeads, 'total', D] });
  const oRef = { layer: l, module: 'o_proj' } as const;
  ctx.expect(oRef, [H, q]);
  const wo = packer.add(`l${l}_wo`, [q, H], (t) => transposeInto(t, ctx.read(oRef), H, q));
  const oBias = arch.oBias ? packer.add(`l${l}_bo`, [H], (t) => t.set(ctx.read({ ...oRef, part: 'bias' }))) : null;
  return projection(ctx, attnOut, wo, `${l}_o`, oBias);
}

/** Gated MLP of layer l on the normed input; returns the down_proj output. */
export function mlp(ctx: GraphContext, l: number, input: string, splitGu: string): string {
  const { arch, packer } = ctx;
  const H = arch.hiddenSize;
  const I = arch.intermediateSize;
  const ref = (module: 'gate_proj' | 'up_proj' | 'gate_up_proj' | 'down_proj', part: 'weight' | 'bias' = 'weight') => ({ layer: l, module, part }) as const;
  let wgu: string;
  if (arch.fused.gateUp) {
    ctx.expect(ref('gate_up_proj'), [2 * I, H]);
    wgu = packer.add(`l${l}_wgu`, [H, 2 * I], (t) => transposeInto(t, ctx.read(ref('gate_up_proj')), 2 * I, H));
  } else {
    ctx.expect(ref('gate_proj'), [I, H]);
    ctx.expect(ref('up_proj'), [I, H]);
    wgu = packer.add(`l${l}_wgu`, [H, 2 * I], (t) => fusedTInto(t, [ctx.read(ref('gate_proj')), ctx.read(ref('up_proj'))], [I, I], H));
  }
  ctx.expect(ref('down_proj'), [H, I]);
  let guBias: string | null = null;
  let downBias: string | null = null;
  if (arch.mlpBias) {
    guBias = packer.add(`l${l}_bgu`, [2 * I], (t) => {
      if (arch.fused.gateUp) t.set(ctx.read(ref('gate_up_proj', 'bias')));
      else {
        t.set(ctx.read(ref('gate_proj', 'bias')), 0);
        t.set(ctx.read(ref('up_proj', 'bias')), I);
      }
    });
    downBias = packer.add(`l${l}_bdown`, [H], (t) => t.set(ctx.read(ref('down_proj', 'bias'))));
  }
  const gu = projection(ctx, input, wgu, `${l}_gate_up`, guBias);
  const [gate, up] = ctx.add('Split', [gu, splitGu], { axis: -1 }, undefined, 2) as [string, string];
  const act = ctx.one('Mul', [ctx.one('Mul', [gate, ctx.one('Sigmoid', [gate])]), up]);
  const wdown = packer.add(`l${l}_wdown`, [I, H], (t) => transposeInto(t, ctx.read(ref('down_proj')), H, I));
  return projection(ctx, act, wdown, `${l}_down`, downBias);
}

/** One decoder layer (pre-norm, sequential residual); returns the new residual stream. */
export function decoderLayer(ctx: GraphContext, l: number, x: string, c: AttentionConsts, splitGu: string): string {
  const residual = (stream: string, branch: string) =>
    ctx.one('Add', [stream, ctx.arch.residualMultiplier === 1 ? branch : ctx.one('Mul', [branch, ctx.packer.scalar('residual_multiplier', ctx.arch.residualMultiplier)])]);
  const ln1 = normWeight(ctx, `l${l}_ln1`, ctx.arch.hiddenSize, () => ctx.read({ layer: l, module: 'attn_norm' }));
  const h = residual(x, attention(ctx, l, rmsNorm(ctx, x, ln1), c));
  const ln2 = normWeight(ctx, `l${l}_ln2`, ctx.arch.hiddenSize, () => ctx.read({ layer: l, module: 'mlp_norm' }));
  return residual(h, mlp(ctx, l, rmsNorm(ctx, h, ln2), splitGu));
}

/** Final norm (and its saved copy), LM head (tied or not, saved copy, LoRA), logit scaling. */
export function head(ctx: GraphContext, x: string, embedTable: string): string {
  const { arch, packer } = ctx;
  const V = arch.vocabSize;
  const H = arch.hiddenSize;
  const picked = ctx.one('GatherND', [x, 'gather_idx'], { batch_dims: 1 });
  const normRef = { module: 'final_norm' } as const;
  let fn = rmsNorm(ctx, picked, normWeight(ctx, 'final_norm', H, () => ctx.read(normRef)));
  const savedNorm = ctx.plan.overrides.get(ctx.name(normRef));
  if (savedNorm) fn = selectSaved(ctx, fn, rmsNorm(ctx, picked, normWeight(ctx, 'final_norm_saved', H, () => savedNorm)));
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
      const lb = `lora_${headGroup.key}_bias`;
      ctx.inputs.push({ name: lb, elemType: DT.FLOAT, shape: ['batch', 1, headGroup.outFeatures] });
      logits = ctx.one('Add', [logits, lb]);
    }
  }
  if (arch.logitsDivisor !== 1) logits = ctx.one('Div', [logits, packer.scalar('logits_divisor', arch.logitsDivisor)]);
  return logits;
}
