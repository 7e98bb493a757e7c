/**
 * Decoder graph (llama / mistral / qwen2 / qwen3) built from standard ONNX opset-17 ops.
 * Everything that differs between views enters as graph inputs, so one session serves
 * base, ft, scaled and null views, and rows of one batch may run different views:
 *   input_ids [B,S] int64, embed_delta [B,S,H] (embedding LoRA / saved embedding rows),
 *   cos/sin [B,S,1,1,D] (RoPE per row position), mask [B,1,1,S,T] (additive: causal,
 *   sliding window, padding; T = P + S), past_key_l [B,KV,1,D,P] / past_value_l [B,KV,1,P,D]
 *   (KV cache, P = 0 for a fresh sequence), rows [N] int64 (flat b·S+s positions whose logits are wanted),
 *   per LoRA slot i: lora_a_i [B,in,r], lora_b_i [B,r,out] (B pre-multiplied by λ·s; zeros
 *   for the base view), lora_bias_i [B,1,out] with lora_bias, dora_g_i [B,1,out] with DoRA,
 *   ovr_sel [B,1,1] / head_sel [N,1] (1 where a row uses the adapter's saved modules).
 * Outputs: logits [N, vocab], present_key_l / present_value_l (past + this call).
 */
import { DataType, encodeModel } from '../onnx/proto.js';
import type { ArchSpec } from '../types.js';
import type { LayerModule, LoraSlot } from '../adapter/types.js';
import { GraphBuilder } from './builder.js';

export interface SlotSpec {
  index: number;
  slot: Pick<LoraSlot, 'target' | 'rank' | 'inFeatures' | 'outFeatures' | 'modulePath'>;
  hasBias: boolean;
  dora: boolean;
}

export interface DecoderWeights {
  has(name: string): boolean;
  get(name: string): Float32Array;
  shape(name: string): number[];
}

export interface DecoderSpec {
  arch: ArchSpec;
  weights: DecoderWeights;
  /** LoRA slots on layer linears and lm_head (embedding slots are applied through embed_delta). */
  slots: SlotSpec[];
  /** Saved-module replacement tensors (HF name → fp32 data in the checkpoint's shape). */
  overrides: Map<string, Float32Array>;
}

export const F = DataType.FLOAT;
export const I64 = DataType.INT64;

/** One additive mask input per distinct attention window (null = full causal). */
export function maskInputName(window: number | null): string {
  return window === null ? 'mask' : `mask_w${window}`;
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c]!;
  return t;
}

/** Name under which the weight buffer is passed as `externalData` to the session. */
export const WEIGHTS_LOCATION = 'sway-weights.bin';

export interface DecoderModel {
  model: Uint8Array;
  weights: Buffer;
}

export function buildDecoderModel(spec: DecoderSpec): DecoderModel {
  const { arch, weights, overrides } = spec;
  const g = new GraphBuilder();
  const H = arch.hiddenSize;
  const D = arch.headDim;
  const KV = arch.numKvHeads;
  const G = arch.numHeads / arch.numKvHeads;
  const V = arch.vocabSize;
  const ids = g.input('input_ids', I64, ['B', 'S']);
  const embedDelta = g.input('embed_delta', F, ['B', 'S', H]);
  const cos = g.input('cos', F, ['B', 'S', 1, 1, D]);
  const sin = g.input('sin', F, ['B', 'S', 1, 1, D]);
  const masks = new Map<string, string>();
  for (const w of arch.slidingWindow) {
    const name = maskInputName(w);
    if (!masks.has(name)) masks.set(name, g.input(name, F, ['B', 1, 1, 'S', 'T']));
  }
  const rows = g.input('rows', I64, ['N']);
  const hasOverrides = overrides.size > 0;
  const ovrSel = hasOverrides ? g.input('ovr_sel', F, ['B', 1, 1]) : '';
  const headSel = overrides.has('lm_head.weight') ? g.input('head_sel', F, ['N', 1]) : '';

  const slotFor = new Map<string, SlotSpec>();
  for (const s of spec.slots) {
    const t = s.slot.target;
    const key = t.scope === 'layer' ? `${t.layer}:${t.module}` : t.scope;
    slotFor.set(key, s);
  }
  const loraInputs = (s: SlotSpec) => {
    const { inFeatures: inn, outFeatures: out } = s.slot;
    const a = g.input(`lora_a_${s.index}`, F, ['B', inn, `r${s.index}`]);
    const b = g.input(`lora_b_${s.index}`, F, ['B', `r${s.index}`, out]);
    const bias = s.hasBias ? g.input(`lora_bias_${s.index}`, F, ['B', 1, out]) : null;
    const gain = s.dora ? g.input(`dora_g_${s.index}`, F, ['B', 1, out]) : null;
    return { a, b, bias, gain };
  };
  const select = (baseVal: string, ovrVal: string, sel: string) => g.op('Add', [baseVal, g.op('Mul', [sel, g.op('Sub', [ovrVal, baseVal])])]);

  const rmsNorm = (x: string, wName: string, dims: number) => {
    const w = g.weight(wName, () => weights.get(wName), [dims]);
    // Pow → ReduceMean → Add → Sqrt → Div → Mul: the pattern onnxruntime fuses into SimplifiedLayerNormalization
    const ms = g.op('ReduceMean', [g.op('Pow', [x, g.scalar(2)])], { axes: [-1], keepdims: 1 });
    const rms = g.op('Sqrt', [g.op('Add', [ms, g.scalar(arch.rmsNormEps)])]);
    return g.op('Mul', [g.op('Div', [x, rms]), w]);
  };

  const linear = (x: string, prefix: string, layer: number, module: LayerModule, inn: number, out: number) => {
    const wName = `${prefix}.weight`;
    const wt = g.weight(`${wName}.T`, () => transpose(weights.get(wName), out, inn), [inn, out]);
    let y = g.op('MatMul', [x, wt]);
    const ovrW = overrides.get(wName);
    if (ovrW) y = select(y, g.op('MatMul', [x, g.weight(`${wName}.T.saved`, transpose(ovrW, out, inn), [inn, out])]), ovrSel);
    const s = slotFor.get(`${layer}:${module}`);
    if (s) {
      const l = loraInputs(s);
      const delta = g.op('MatMul', [g.op('MatMul', [x, l.a]), l.b]);
      y = g.op('Add', [y, delta]);
      if (l.gain) y = g.op('Mul', [y, l.gain]);
      if (l.bias) y = g.op('Add', [y, l.bias]);
    }
    const bName = `${prefix}.bias`;
    const ovrB = overrides.get(bName);
    if (weights.has(bName) || ovrB) {
      const baseB = weights.has(bName) ? g.weight(bName, () => weights.get(bName), [out]) : g.weight(`${bName}.zero`, new Float32Array(out), [out]);
      y = g.op('Add', [y, ovrB ? select(baseB, g.weight(`${bName}.saved`, ovrB, [out]), g.op('Reshape', [ovrSel, g.ints([-1, 1])])) : baseB]);
    }
    return y;
  };

  const rope = (x: string) => {
    const half = D / 2;
    const x1 = g.op('Slice', [x, g.ints([0]), g.ints([half]), g.ints([-1])]);
    const x2 = g.op('Slice', [x, g.ints([half]), g.ints([D]), g.ints([-1])]);
    const rot = g.op('Concat', [g.op('Neg', [x2]), x1], { axis: -1 });
    return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rot, sin])]);
  };

  const embedName = 'model.embed_tokens.weight';
  const embed = g.weight(embedName, () => weights.get(embedName), [V, H]);
  let h = g.op('Add', [g.op('Gather', [embed, ids], { axis: 0 }), embedDelta]);
  const scale = g.scalar(1 / Math.sqrt(D));

  for (let l = 0; l < arch.numLayers; l++) {
    const p = `model.layers.${l}`;
    const x = rmsNorm(h, `${p}.input_layernorm.weight`, H);
    const q0 = linear(x, `${p}.self_attn.q_proj`, l, 'q_proj', H, arch.numHeads * D);
    const k0 = linear(x, `${p}.self_attn.k_proj`, l, 'k_proj', H, KV * D);
    const v0 = linear(x, `${p}.self_attn.v_proj`, l, 'v_proj', H, KV * D);
    let q = g.op('Reshape', [q0, g.ints([0, 0, KV, G, D])]);
    let k = g.op('Reshape', [k0, g.ints([0, 0, KV, 1, D])]);
    const v = g.op('Reshape', [v0, g.ints([0, 0, KV, 1, D])]);
    if (arch.qkNorm) {
      q = rmsNorm(q, `${p}.self_attn.q_norm.weight`, D);
      k = rmsNorm(k, `${p}.self_attn.k_norm.weight`, D);
    }
    q = g.op('Transpose', [rope(q)], { perm: [0, 2, 3, 1, 4] }); // [B,KV,G,S,D]
    // KV cache: keys kept as [B,KV,1,D,T] (ready for q·kᵀ), values as [B,KV,1,T,D]; T = past + S
    const pastK = g.input(`past_key_${l}`, F, ['B', KV, 1, D, 'P']);
    const pastV = g.input(`past_value_${l}`, F, ['B', KV, 1, 'P', D]);
    k = g.op('Concat', [pastK, g.op('Transpose', [rope(k)], { perm: [0, 2, 3, 4, 1] })], { axis: 4 });
    const vt = g.op('Concat', [pastV, g.op('Transpose', [v], { perm: [0, 2, 3, 1, 4] })], { axis: 3 });
    g.output(k, `present_key_${l}`, F, ['B', KV, 1, D, 'T']);
    g.output(vt, `present_value_${l}`, F, ['B', KV, 1, 'T', D]);
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, k]), scale]), masks.get(maskInputName(arch.slidingWindow[l] ?? null))!]);
    const attn = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), vt]); // [B,KV,G,S,D]
    const merged = g.op('Reshape', [g.op('Transpose', [attn], { perm: [0, 3, 1, 2, 4] }), g.ints([0, 0, arch.numHeads * D])]);
    h = g.op('Add', [h, linear(merged, `${p}.self_attn.o_proj`, l, 'o_proj', arch.numHeads * D, H)]);

    const x2 = rmsNorm(h, `${p}.post_attention_layernorm.weight`, H);
    const gate = linear(x2, `${p}.mlp.gate_proj`, l, 'gate_proj', H, arch.intermediateSize);
    const up = linear(x2, `${p}.mlp.up_proj`, l, 'up_proj', H, arch.intermediateSize);
    const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
    h = g.op('Add', [h, linear(act, `${p}.mlp.down_proj`, l, 'down_proj', arch.intermediateSize, H)]);
  }

  const hn = rmsNorm(h, 'model.norm.weight', H);
  const flat = g.op('Reshape', [hn, g.ints([-1, H])]);
  const picked = g.op('Gather', [flat, rows], { axis: 0 });
  const headW = arch.tieWordEmbeddings ? embed : g.weight('lm_head.weight', () => weights.get('lm_head.weight'), [V, H]);
  let logits = g.op('Gemm', [picked, headW], { transB: 1 });
  const ovrHead = overrides.get('lm_head.weight');
  if (ovrHead) logits = select(logits, g.op('Gemm', [picked, g.weight('lm_head.weight.saved', ovrHead, [V, H])], { transB: 1 }), headSel);
  const headSlot = slotFor.get('lm_head');
  if (headSlot) {
    const l = loraInputs(headSlot);
    let delta = g.op('MatMul', [g.op('MatMul', [hn, l.a]), l.b]); // [B,S,V]
    if (l.bias) delta = g.op('Add', [delta, l.bias]);
    logits = g.op('Add', [logits, g.op('Gather', [g.op('Reshape', [delta, g.ints([-1, V])]), rows], { axis: 0 })]);
  }
  g.output(logits, 'logits', F, ['N', V]);
  const weightBytes = g.externalize(WEIGHTS_LOCATION);
  return { model: encodeModel({ graph: g.graph('sway_decoder'), opsets: [{ domain: '', version: 17 }] }), weights: weightBytes };
}
