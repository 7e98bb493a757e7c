/**
 * Builds the decoder ONNX graph for an ArchSpec and a LoRA group layout. Base weights are
 * initializers stored as in-memory external data (one aligned buffer, handed to ORT once);
 * LoRA A/B, DoRA gains and the saved-module selector are graph inputs, so every view of
 * the model (base, fine-tuned, scaled, null) is only a different set of feeds, and rows of
 * one batch may run different views.
 */
import { ModelError } from '../../core/errors.js';
import { ropeCaches } from '../rope.js';
import type { ArchSpec, WeightSource } from '../types.js';
import { DT, encodeModel, type InitializerDef, type NodeDef, type ValueDef } from '../onnx/model.js';
import type { LoraGroup } from './lora-groups.js';

export const EXTERNAL_LOCATION = 'sway-weights.bin';

export interface GraphPlan {
  arch: ArchSpec;
  groups: LoraGroup[];
  /** DoRA gain inputs per group. */
  dora: boolean;
  /** Saved copies (modules_to_save / trainable tokens) for these base tensor names. */
  overrides: Map<string, Float32Array>;
  maxPositions: number;
}

export interface BuiltGraph {
  modelBytes: Uint8Array;
  weights: Buffer;
  inputNames: string[];
  hasOverrides: boolean;
}

/** Fills an fp32 destination (a slice of the one external-data buffer) with a weight. */
type Producer = Float32Array | ((out: Float32Array) => void);

/**
 * Lays out every initializer in one 64-byte-aligned buffer. Producers run only when the
 * buffer is built, each writing straight into its slice, so at most one source tensor is
 * resident on the JS side besides the buffer itself.
 */
class WeightPacker {
  readonly inits: InitializerDef[] = [];
  private parts: { offset: number; length: number; producer: Producer }[] = [];
  private size = 0;

  add(name: string, dims: number[], producer: Producer): string {
    const length = dims.reduce((a, b) => a * b, 1);
    const offset = Math.ceil(this.size / 64) * 64;
    this.parts.push({ offset, length, producer });
    this.size = offset + length * 4;
    this.inits.push({ name, dataType: DT.FLOAT, dims, external: { location: EXTERNAL_LOCATION, offset, length: length * 4 } });
    return name;
  }

  inline(name: string, dataType: number, dims: number[], raw: Uint8Array): string {
    this.inits.push({ name, dataType, dims, raw });
    return name;
  }

  buffer(): Buffer {
    const buf = Buffer.alloc(this.size);
    for (const p of this.parts) {
      const out = new Float32Array(buf.buffer, buf.byteOffset + p.offset, p.length);
      if (typeof p.producer === 'function') p.producer(out);
      else out.set(p.producer);
    }
    this.parts = [];
    return buf;
  }
}

/** [out, in] row-major -> [in, out] row-major, written into `t`. */
function transposeInto(t: Float32Array, w: Float32Array, out: number, inF: number): void {
  for (let o = 0; o < out; o++) for (let i = 0; i < inF; i++) t[i * out + o] = w[o * inF + i] as number;
}

/** Several [out_k, in] weights stacked along out, transposed to [in, sum(out_k)], written into `t`. */
function fusedTInto(t: Float32Array, parts: Float32Array[], outs: number[], inF: number): void {
  const total = outs.reduce((a, b) => a + b, 0);
  let col = 0;
  parts.forEach((w, k) => {
    const out = outs[k] as number;
    for (let o = 0; o < out; o++) for (let i = 0; i < inF; i++) t[i * total + col + o] = w[o * inF + i] as number;
    col += out;
  });
}

function int64Raw(values: number[]): Uint8Array {
  return new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
}

export function buildDecoderGraph(plan: GraphPlan, weights: WeightSource): BuiltGraph {
  const { arch } = plan;
  const H = arch.hiddenSize;
  const D = arch.headDim;
  const q = arch.numHeads * D;
  const kv = arch.numKvHeads * D;
  const I = arch.intermediateSize;
  const V = arch.vocabSize;
  const packer = new WeightPacker();
  const nodes: NodeDef[] = [];
  const inputs: ValueDef[] = [];
  const outputs: ValueDef[] = [];
  let counter = 0;
  const tmp = (hint: string) => `${hint}_${counter++}`;
  const add = (op: string, ins: string[], attrs?: NodeDef['attrs'], domain?: string, nOut = 1): string[] => {
    const outs = Array.from({ length: nOut }, () => tmp(op));
    nodes.push({ op, inputs: ins, outputs: outs, ...(attrs ? { attrs } : {}), ...(domain ? { domain } : {}) });
    return outs;
  };
  const one = (op: string, ins: string[], attrs?: NodeDef['attrs'], domain?: string): string => add(op, ins, attrs, domain)[0] as string;
  const read = (name: string): Float32Array => {
    if (!weights.has(name)) throw new ModelError(`${weights.description}: tensor '${name}' is missing from the checkpoint`);
    const shape = weights.shape(name);
    const data = weights.readF32(name, { checkFinite: true });
    if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new ModelError(`${weights.description}: tensor '${name}' has an unexpected size`);
    return data;
  };
  const expect = (name: string, dims: number[]) => {
    const s = weights.has(name) ? weights.shape(name) : null;
    if (!s || s.length !== dims.length || s.some((d, i) => d !== dims[i])) {
      throw new ModelError(`${weights.description}: tensor '${name}' has shape [${s?.join(', ') ?? 'missing'}], config.json implies [${dims.join(', ')}]`);
    }
  };

  inputs.push({ name: 'input_ids', elemType: DT.INT64, shape: ['batch', 'seq'] });
  inputs.push({ name: 'seqlens_k', elemType: DT.INT32, shape: ['batch'] });
  inputs.push({ name: 'total_seq_len', elemType: DT.INT32, shape: [] });
  inputs.push({ name: 'gather_idx', elemType: DT.INT64, shape: ['batch', 'npos', 1] });
  const hasOverrides = plan.overrides.size > 0;
  if (hasOverrides) inputs.push({ name: 'use_saved', elemType: DT.BOOL, shape: ['batch', 1, 1] });

  const { cos, sin } = ropeCaches(arch.rope, plan.maxPositions);
  const cosName = packer.add('rope_cos', [plan.maxPositions, D / 2], cos);
  const sinName = packer.add('rope_sin', [plan.maxPositions, D / 2], sin);

  const selectSaved = (baseOut: string, savedOut: string) => one('Where', ['use_saved', savedOut, baseOut]);

  expect('model.embed_tokens.weight', [V, H]);
  const emb = packer.add('embed', [V, H], (t) => t.set(read('model.embed_tokens.weight')));
  let x = one('Gather', [emb, 'input_ids'], { axis: 0 });
  const savedEmb = plan.overrides.get('model.embed_tokens.weight');
  if (savedEmb) x = selectSaved(x, one('Gather', [packer.add('embed_saved', [V, H], savedEmb), 'input_ids'], { axis: 0 }));

  const groupByKey = new Map(plan.groups.map((g) => [g.key, g]));
  const loraInputs = (g: LoraGroup) => {
    const a = `lora_${g.key}_a`;
    const b = `lora_${g.key}_b`;
    inputs.push({ name: a, elemType: DT.FLOAT, shape: ['batch', g.inFeatures, `r_${g.key}`] });
    inputs.push({ name: b, elemType: DT.FLOAT, shape: ['batch', `r_${g.key}`, g.outFeatures] });
    return { a, b };
  };
  /** base MatMul + LoRA branch + DoRA gains + bias, in PEFT's order. */
  const projection = (input: string, weightT: string, key: string, bias: string | null): string => {
    let y = one('MatMul', [input, weightT]);
    const g = groupByKey.get(key);
    if (g) {
      const { a, b } = loraInputs(g);
      y = one('Add', [y, one('MatMul', [one('MatMul', [input, a]), b])]);
      if (plan.dora) {
        const gain = `dora_${g.key}`;
        inputs.push({ name: gain, elemType: DT.FLOAT, shape: ['batch', 1, g.outFeatures] });
        y = one('Mul', [y, gain]);
      }
    }
    return bias ? one('Add', [y, bias]) : y;
  };

  const rmsNorm = (input: string, w: string) => one('SimplifiedLayerNormalization', [input, w], { axis: -1, epsilon: { float: arch.rmsNormEps } });
  const splitGu = packer.inline('split_gu', DT.INT64, [2], int64Raw([I, I]));
  const qkShapes = arch.qkNorm
    ? {
        split: packer.inline('split_qkv', DT.INT64, [3], int64Raw([q, kv, kv])),
        headsQ: packer.inline('shape_q_heads', DT.INT64, [4], int64Raw([0, 0, arch.numHeads, D])),
        headsK: packer.inline('shape_k_heads', DT.INT64, [4], int64Raw([0, 0, arch.numKvHeads, D])),
        flatQ: packer.inline('shape_q_flat', DT.INT64, [3], int64Raw([0, 0, q])),
        flatK: packer.inline('shape_k_flat', DT.INT64, [3], int64Raw([0, 0, kv])),
      }
    : null;

  for (let l = 0; l < arch.numLayers; l++) {
    const p = `model.layers.${l}.`;
    for (const [n, out, inF] of [
      ['q_proj', q, H],
      ['k_proj', kv, H],
      ['v_proj', kv, H],
      ['o_proj', H, q],
    ] as const) expect(`${p}self_attn.${n}.weight`, [out, inF]);
    for (const [n, out, inF] of [
      ['gate_proj', I, H],
      ['up_proj', I, H],
      ['down_proj', H, I],
    ] as const) expect(`${p}mlp.${n}.weight`, [out, inF]);

    const ln1 = packer.add(`l${l}_ln1`, [H], (t) => t.set(read(`${p}input_layernorm.weight`)));
    const wqkv = packer.add(`l${l}_wqkv`, [H, q + 2 * kv], (t) => fusedTInto(t, [read(`${p}self_attn.q_proj.weight`), read(`${p}self_attn.k_proj.weight`), read(`${p}self_attn.v_proj.weight`)], [q, kv, kv], H));
    let qkvBias: string | null = null;
    if (arch.qkvBias) {
      const bq = read(`${p}self_attn.q_proj.bias`);
      const bk = read(`${p}self_attn.k_proj.bias`);
      const bv = read(`${p}self_attn.v_proj.bias`);
      const cat = new Float32Array(q + 2 * kv);
      cat.set(bq, 0);
      cat.set(bk, q);
      cat.set(bv, q + kv);
      qkvBias = packer.add(`l${l}_bqkv`, [q + 2 * kv], cat);
    }
    const n1 = rmsNorm(x, ln1);
    const qkv = projection(n1, wqkv, `${l}_qkv`, qkvBias);
    let gqaInputs: string[];
    if (qkShapes) {
      const [qs, ks, vs] = add('Split', [qkv, qkShapes.split], { axis: -1 }, undefined, 3) as [string, string, string];
      const qn = packer.add(`l${l}_qnorm`, [D], read(`${p}self_attn.q_norm.weight`));
      const kn = packer.add(`l${l}_knorm`, [D], read(`${p}self_attn.k_norm.weight`));
      const qh = one('Reshape', [rmsNorm(one('Reshape', [qs, qkShapes.headsQ]), qn), qkShapes.flatQ]);
      const kh = one('Reshape', [rmsNorm(one('Reshape', [ks, qkShapes.headsK]), kn), qkShapes.flatK]);
      gqaInputs = [qh, kh, vs];
    } else {
      gqaInputs = [qkv, '', ''];
    }
    const pastK = `past_key_${l}`;
    const pastV = `past_value_${l}`;
    inputs.push({ name: pastK, elemType: DT.FLOAT, shape: ['batch', arch.numKvHeads, 'past', D] });
    inputs.push({ name: pastV, elemType: DT.FLOAT, shape: ['batch', arch.numKvHeads, 'past', D] });
    const window = arch.slidingWindow[l] ?? null;
    const presentK = `present_key_${l}`;
    const presentV = `present_value_${l}`;
    const attnOut = tmp('attn');
    nodes.push({
      op: 'GroupQueryAttention',
      domain: 'com.microsoft',
      inputs: [...gqaInputs, pastK, pastV, 'seqlens_k', 'total_seq_len', cosName, sinName],
      outputs: [attnOut, presentK, presentV],
      attrs: {
        num_heads: arch.numHeads,
        kv_num_heads: arch.numKvHeads,
        scale: { float: 1 / Math.sqrt(D) },
        do_rotary: 1,
        rotary_interleaved: 0,
        local_window_size: window === null ? -1 : window,
      },
    });
    outputs.push({ name: presentK, elemType: DT.FLOAT, shape: ['batch', arch.numKvHeads, 'total', D] });
    outputs.push({ name: presentV, elemType: DT.FLOAT, shape: ['batch', arch.numKvHeads, 'total', D] });
    const wo = packer.add(`l${l}_wo`, [q, H], (t) => transposeInto(t, read(`${p}self_attn.o_proj.weight`), H, q));
    const oBias = arch.oBias ? packer.add(`l${l}_bo`, [H], read(`${p}self_attn.o_proj.bias`)) : null;
    const h = one('Add', [x, projection(attnOut, wo, `${l}_o`, oBias)]);

    const ln2 = packer.add(`l${l}_ln2`, [H], (t) => t.set(read(`${p}post_attention_layernorm.weight`)));
    const wgu = packer.add(`l${l}_wgu`, [H, 2 * I], (t) => fusedTInto(t, [read(`${p}mlp.gate_proj.weight`), read(`${p}mlp.up_proj.weight`)], [I, I], H));
    let guBias: string | null = null;
    let downBias: string | null = null;
    if (arch.mlpBias) {
      const cat = new Float32Array(2 * I);
      cat.set(read(`${p}mlp.gate_proj.bias`), 0);
      cat.set(read(`${p}mlp.up_proj.bias`), I);
      guBias = packer.add(`l${l}_bgu`, [2 * I], cat);
      downBias = packer.add(`l${l}_bdown`, [H], read(`${p}mlp.down_proj.bias`));
    }
    const gu = projection(rmsNorm(h, ln2), wgu, `${l}_gate_up`, guBias);
    const [gate, up] = add('Split', [gu, splitGu], { axis: -1 }, undefined, 2) as [string, string];
    const act = one('Mul', [one('Mul', [gate, one('Sigmoid', [gate])]), up]);
    const wdown = packer.add(`l${l}_wdown`, [I, H], (t) => transposeInto(t, read(`${p}mlp.down_proj.weight`), H, I));
    x = one('Add', [h, projection(act, wdown, `${l}_down`, downBias)]);
  }

  const picked = one('GatherND', [x, 'gather_idx'], { batch_dims: 1 });
  const normW = packer.add('final_norm', [H], read('model.norm.weight'));
  let fn = rmsNorm(picked, normW);
  const savedNorm = plan.overrides.get('model.norm.weight');
  if (savedNorm) fn = selectSaved(fn, rmsNorm(picked, packer.add('final_norm_saved', [H], savedNorm)));
  let headW = emb;
  if (!arch.tieWordEmbeddings) {
    expect('lm_head.weight', [V, H]);
    headW = packer.add('lm_head', [V, H], (t) => t.set(read('lm_head.weight')));
  }
  let logits = one('FusedMatMul', [fn, headW], { transB: 1 }, 'com.microsoft');
  const savedHead = plan.overrides.get('lm_head.weight');
  if (savedHead) logits = selectSaved(logits, one('FusedMatMul', [fn, packer.add('lm_head_saved', [V, H], savedHead)], { transB: 1 }, 'com.microsoft'));
  const headGroup = groupByKey.get('head');
  if (headGroup) {
    const { a, b } = loraInputs(headGroup);
    logits = one('Add', [logits, one('MatMul', [one('MatMul', [fn, a]), b])]);
  }
  nodes.push({ op: 'Identity', inputs: [logits], outputs: ['logits'] });
  outputs.unshift({ name: 'logits', elemType: DT.FLOAT, shape: ['batch', 'npos', V] });

  const modelBytes = encodeModel(
    { name: `sway_${arch.family}`, nodes, inputs, outputs, initializers: packer.inits },
    { '': 17, 'com.microsoft': 1 },
  );
  return { modelBytes, weights: packer.buffer(), inputNames: inputs.map((i) => i.name), hasOverrides };
}
