/**
 * A small GGUF v3 writer for the llama.cpp cross-check: a sway checkpoint (safetensors +
 * tokenizer.json) and a PEFT LoRA adapter written as llama.cpp GGUF files, F32.
 *
 * Table-driven: tensors are addressed by sway's logical weights (`weightName` of the family
 * naming), so one map (`LAYER_STEMS`, `MODEL_STEMS`) names every family's GGUF tensors, and
 * a family is one `GgufArchRow`: the GGUF architecture, llama.cpp's rotary layout (which
 * decides whether q/k rows are permuted), how a fused qkv is laid out, and its metadata keys.
 * Transformations that follow from the ArchSpec alone (gemma's stored `w` for `1 + w`, Conv1D
 * weights stored [in, out]) apply to every row.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LINEAR_ORDER, parseModulePath, weightName, type LayerWeight, type ModelWeight, type WeightRef } from '../../src/engine/families.js';
import { ropeInvFreq, ropeMagnitude } from '../../src/engine/rope.js';
import type { ArchSpec, WeightSource } from '../../src/engine/types.js';

type Kv = [string, 'u32' | 'f32' | 'str' | 'bool' | 'i32', unknown] | [string, 'arr_str' | 'arr_i32' | 'arr_f32' | 'arr_bool', unknown[]];

const T = { u32: 4, i32: 5, f32: 6, bool: 7, str: 8, arr: 9 } as const;

class Buf {
  parts: Buffer[] = [];
  len = 0;
  push(b: Buffer) {
    this.parts.push(b);
    this.len += b.length;
  }
  u32(v: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number) {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string) {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
}

function writeKv(w: Buf, [key, type, value]: Kv): void {
  w.str(key);
  switch (type) {
    case 'u32': w.u32(T.u32); w.u32(value as number); break;
    case 'i32': w.u32(T.i32); w.i32(value as number); break;
    case 'f32': w.u32(T.f32); w.f32(value as number); break;
    case 'bool': w.u32(T.bool); w.push(Buffer.from([value ? 1 : 0])); break;
    case 'str': w.u32(T.str); w.str(value as string); break;
    case 'arr_str': w.u32(T.arr); w.u32(T.str); w.u64(value.length); for (const s of value as string[]) w.str(s); break;
    case 'arr_i32': w.u32(T.arr); w.u32(T.i32); w.u64(value.length); for (const v of value as number[]) w.i32(v); break;
    case 'arr_f32': w.u32(T.arr); w.u32(T.f32); w.u64(value.length); for (const v of value as number[]) w.f32(v); break;
    case 'arr_bool': w.u32(T.arr); w.u32(T.bool); w.u64(value.length); w.push(Buffer.from((value as boolean[]).map((b) => (b ? 1 : 0)))); break;
  }
}

export interface GgufTensor {
  name: string;
  /** PyTorch order (e.g. [out, in]); written reversed as GGUF ne. */
  shape: number[];
  data: Float32Array;
}

export function writeGguf(path: string, kvs: Kv[], tensors: GgufTensor[]): void {
  const w = new Buf();
  w.push(Buffer.from('GGUF'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(kvs.length + 1);
  writeKv(w, ['general.alignment', 'u32', 32]);
  for (const kv of kvs) writeKv(w, kv);
  let offset = 0;
  for (const t of tensors) {
    w.str(t.name);
    w.u32(t.shape.length);
    for (const d of [...t.shape].reverse()) w.u64(d);
    w.u32(0); // F32
    w.u64(offset);
    offset += Math.ceil(t.data.byteLength / 32) * 32;
  }
  w.push(Buffer.alloc((32 - (w.len % 32)) % 32));
  for (const t of tensors) {
    const b = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    w.push(b);
    w.push(Buffer.alloc(Math.ceil(b.length / 32) * 32 - b.length));
  }
  writeFileSync(path, Buffer.concat(w.parts));
}

/** HF half-split rotary rows -> llama.cpp interleaved rows, per head (llama.cpp's NORM rope type). */
export function permuteRows(w: Float32Array, heads: number, headDim: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < half; i++) {
        const src = h * headDim + j * half + i;
        const dst = h * headDim + 2 * i + j;
        out.set(w.subarray(src * cols, (src + 1) * cols), dst * cols);
      }
    }
  }
  return out;
}

/** GPT-NeoX fused qkv rows, per head [q_h; k_h; v_h] -> [Q; K; V] as llama.cpp's attn_qkv wants. */
export function unInterleaveQkv(w: Float32Array, heads: number, headDim: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  const block = headDim * cols;
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < 3; j++) out.set(w.subarray((h * 3 + j) * block, (h * 3 + j + 1) * block), (j * heads + h) * block);
  }
  return out;
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c] as number;
  return out;
}

/** sway logical layer weight -> llama.cpp tensor stem (`blk.N.<stem>`), the same for every architecture. */
export const LAYER_STEMS: Readonly<Record<LayerWeight, string>> = {
  attn_norm: 'attn_norm',
  mlp_norm: 'ffn_norm',
  post_attn_norm: 'post_attention_norm',
  post_mlp_norm: 'post_ffw_norm',
  q_proj: 'attn_q',
  k_proj: 'attn_k',
  v_proj: 'attn_v',
  qkv_proj: 'attn_qkv',
  o_proj: 'attn_output',
  q_norm: 'attn_q_norm',
  k_norm: 'attn_k_norm',
  gate_proj: 'ffn_gate',
  up_proj: 'ffn_up',
  // phi3's fused [gate; up] is llama.cpp's ffn_up of 2 × n_ff (SwiGLU takes the first half as the gate).
  gate_up_proj: 'ffn_up',
  down_proj: 'ffn_down',
  // gemma4 per-layer inputs (no GGUF row maps gemma4 yet; llama.cpp's names, for completeness)
  per_layer_gate: 'inp_gate',
  per_layer_proj: 'proj',
  post_per_layer_norm: 'post_norm',
  layer_scalar: 'layer_output_scale',
};

export const MODEL_STEMS: Readonly<Record<ModelWeight, string>> = {
  embed: 'token_embd',
  positions: 'position_embd',
  final_norm: 'output_norm',
  lm_head: 'output',
  per_layer_embed: 'per_layer_token_embd',
  per_layer_model_proj: 'per_layer_model_proj',
  per_layer_proj_norm: 'per_layer_proj_norm',
};

const NORMS = new Set<string>(['attn_norm', 'mlp_norm', 'post_attn_norm', 'post_mlp_norm', 'q_norm', 'k_norm', 'final_norm']);
const LINEAR = new Set<string>(LINEAR_ORDER);

/** One llama.cpp architecture. */
export interface GgufArchRow {
  /** `general.architecture` and the prefix of the hyper-parameter keys. */
  ggufArch: string;
  /** llama.cpp's rope type for the architecture: `norm` rotates interleaved pairs, so q/k rows are permuted from HF's half-split layout. */
  rope: 'norm' | 'neox' | 'none';
  /** How the checkpoint's fused qkv rows are laid out: concatenated [Q; K; V] (phi3, gpt2) or per head (gpt_neox). */
  qkvLayout?: 'concat' | 'per_head';
  /** Keys beyond the common ones. */
  metadata?(a: ArchSpec): Kv[];
  /** Tensors llama.cpp needs that HF does not store (llama3 rope factors). */
  extraTensors?(a: ArchSpec): GgufTensor[];
  /**
   * config.json edits for what this llama.cpp architecture cannot express, each with its
   * reason; the cross-check prints them. Return [] when the fixture runs as it is.
   */
  adjustConfig?(cfg: Record<string, unknown>): string[];
  /** Layers of the tiny fixture when the default (2) cannot show the architecture to llama.cpp. */
  numLayers?: number;
}

function commonMetadata(p: string, a: ArchSpec): Kv[] {
  const kvs: Kv[] = [
    [`${p}.context_length`, 'u32', a.maxPositionEmbeddings],
    [`${p}.embedding_length`, 'u32', a.hiddenSize],
    [`${p}.block_count`, 'u32', a.numLayers],
    [`${p}.feed_forward_length`, 'u32', a.intermediateSize],
    [`${p}.attention.head_count`, 'u32', a.numHeads],
    [`${p}.attention.head_count_kv`, 'u32', a.numKvHeads],
    [`${p}.attention.key_length`, 'u32', a.headDim],
    [`${p}.attention.value_length`, 'u32', a.headDim],
    [`${p}.vocab_size`, 'u32', a.vocabSize],
    a.norm.kind === 'rms' ? [`${p}.attention.layer_norm_rms_epsilon`, 'f32', a.norm.eps] : [`${p}.attention.layer_norm_epsilon`, 'f32', a.norm.eps],
  ];
  if (a.positions === 'rotary') kvs.push([`${p}.rope.freq_base`, 'f32', a.rope.theta], [`${p}.rope.dimension_count`, 'u32', a.rope.rotaryDim]);
  if (a.rope.scaling.type === 'linear') kvs.push([`${p}.rope.scaling.type`, 'str', 'linear'], [`${p}.rope.scaling.factor`, 'f32', a.rope.scaling.factor]);
  return kvs;
}

/** Sliding-window keys: the window and a per-layer pattern (true = sliding), as llama.cpp reads them. */
function slidingMetadata(p: string, a: ArchSpec): Kv[] {
  const windows = a.slidingWindow.filter((w): w is number => w !== null);
  if (windows.length === 0) return [];
  if (new Set(windows).size > 1) throw new Error(`${a.family}: llama.cpp takes one sliding window size, the fixture has ${[...new Set(windows)].join(', ')}`);
  const kvs: Kv[] = [
    [`${p}.attention.sliding_window`, 'u32', windows[0]],
    [`${p}.attention.sliding_window_pattern`, 'arr_bool', a.slidingWindow.map((w) => w !== null)],
  ];
  if (a.ropeLocal !== null) kvs.push([`${p}.rope.freq_base_swa`, 'f32', a.ropeLocal.theta]);
  return kvs;
}

/** LongRoPE (phi3) as llama.cpp reads it: short/long per-pair divisors, the original context and the cos/sin multiplier. */
function longRope(p: string): Pick<GgufArchRow, 'metadata' | 'extraTensors'> {
  return {
    metadata: (a) => {
      const s = a.rope.scaling;
      if (s.type !== 'longrope') return slidingMetadata(p, a);
      return [...slidingMetadata(p, a), [`${p}.rope.scaling.original_context_length`, 'u32', s.originalMaxPositionEmbeddings], [`${p}.rope.scaling.attn_factor`, 'f32', ropeMagnitude(a.rope)]];
    },
    extraTensors: (a) => {
      const s = a.rope.scaling;
      if (s.type !== 'longrope') return [];
      return [
        { name: 'rope_factors_long.weight', shape: [s.longFactor.length], data: Float32Array.from(s.longFactor) },
        { name: 'rope_factors_short.weight', shape: [s.shortFactor.length], data: Float32Array.from(s.shortFactor) },
      ];
    },
  };
}

/** llama3 rope scaling as llama.cpp reads it: per-frequency divisors in `rope_freqs.weight`. */
function llama3RopeFactors(a: ArchSpec): GgufTensor[] {
  if (a.rope.scaling.type !== 'llama3') return [];
  const scaled = ropeInvFreq(a.rope);
  const plain = ropeInvFreq({ ...a.rope, scaling: { type: 'default' } });
  const factors = new Float32Array(scaled.length);
  for (let i = 0; i < scaled.length; i++) factors[i] = (plain[i] as number) / (scaled[i] as number);
  return [{ name: 'rope_freqs.weight', shape: [factors.length], data: factors }];
}

const dropSlidingWindow = (why: string) => (cfg: Record<string, unknown>) => {
  if (cfg['sliding_window'] === undefined || cfg['sliding_window'] === null) return [];
  cfg['sliding_window'] = null;
  return [`sliding_window removed: ${why}`];
};

function headDimQueryScale(cfg: Record<string, unknown>): string[] {
  const text = (cfg['text_config'] as Record<string, unknown> | undefined) ?? cfg;
  const headDim = text['head_dim'];
  if (text['query_pre_attn_scalar'] === undefined || text['query_pre_attn_scalar'] === headDim) return [];
  const was = text['query_pre_attn_scalar'];
  text['query_pre_attn_scalar'] = headDim;
  return [`query_pre_attn_scalar ${String(was)} -> head_dim ${String(headDim)}: llama.cpp fixes the gemma query scale by model size`];
}

const GEMMA3_ROW: GgufArchRow = {
  ggufArch: 'gemma3',
  rope: 'neox',
  metadata: (a) => [...slidingMetadata('gemma3', a), ...(a.finalLogitSoftcap !== null ? ([['gemma3.final_logit_softcapping', 'f32', a.finalLogitSoftcap]] as Kv[]) : [])],
  adjustConfig: headDimQueryScale,
};

const LLAMA_ROW: GgufArchRow = { ggufArch: 'llama', rope: 'norm', extraTensors: llama3RopeFactors };

/**
 * sway family (config.json model_type) -> llama.cpp architecture. The families llama.cpp has
 * and sway runs; a family sway refuses on this branch is skipped by the cross-check.
 */
export const GGUF_ARCHS: Readonly<Record<string, GgufArchRow>> = {
  llama: LLAMA_ROW,
  // llama.cpp converts Mistral to its llama architecture, which has no sliding window.
  mistral: { ...LLAMA_ROW, adjustConfig: dropSlidingWindow("llama.cpp's llama architecture (used for Mistral) has no sliding window") },
  qwen2: { ggufArch: 'qwen2', rope: 'neox', metadata: (a) => slidingMetadata('qwen2', a) },
  qwen3: { ggufArch: 'qwen3', rope: 'neox', metadata: (a) => slidingMetadata('qwen3', a) },
  gemma: { ggufArch: 'gemma', rope: 'neox' },
  gemma2: {
    ggufArch: 'gemma2',
    rope: 'neox',
    metadata: (a) => [
      ...slidingMetadata('gemma2', a),
      ...(a.attnSoftcap !== null ? ([['gemma2.attn_logit_softcapping', 'f32', a.attnSoftcap]] as Kv[]) : []),
      ...(a.finalLogitSoftcap !== null ? ([['gemma2.final_logit_softcapping', 'f32', a.finalLogitSoftcap]] as Kv[]) : []),
    ],
    // llama.cpp derives the gemma2/3 query scale from the model size (head_dim^-0.5, or (hidden/heads)^-0.5 for 27B).
    adjustConfig: headDimQueryScale,
  },
  gemma3_text: GEMMA3_ROW,
  // Gemma3ForConditionalGeneration: the text tower under model.language_model. is llama.cpp's gemma3 (vision goes to an mmproj file).
  gemma3: GEMMA3_ROW,
  phi3: { ggufArch: 'phi3', rope: 'neox', qkvLayout: 'concat', ...longRope('phi3') },
  olmo2: { ggufArch: 'olmo2', rope: 'neox', metadata: (a) => slidingMetadata('olmo2', a) },
  granite: {
    ggufArch: 'granite',
    rope: 'norm',
    extraTensors: llama3RopeFactors,
    metadata: (a) => [
      ['granite.embedding_scale', 'f32', a.embeddingScale],
      ['granite.residual_scale', 'f32', a.residualMultiplier],
      ['granite.attention.scale', 'f32', a.attentionScale],
      ['granite.logit_scale', 'f32', a.logitsDivisor],
    ],
  },
  // llama.cpp's smollm3 skips rotary on every 4th layer, whatever the config says.
  smollm3: {
    ggufArch: 'smollm3',
    rope: 'norm',
    numLayers: 4,
    adjustConfig: (cfg) => {
      const notes: string[] = [];
      if (cfg['no_rope_layer_interval'] !== 4) notes.push(`no_rope_layer_interval ${String(cfg['no_rope_layer_interval'])} -> 4: llama.cpp fixes it at 4`);
      cfg['no_rope_layer_interval'] = 4;
      const layers = cfg['num_hidden_layers'] as number;
      if (cfg['no_rope_layers'] !== undefined) cfg['no_rope_layers'] = Array.from({ length: layers }, (_, i) => ((i + 1) % 4 !== 0 ? 1 : 0));
      return notes;
    },
  },
  gpt2: { ggufArch: 'gpt2', rope: 'none', qkvLayout: 'concat' },
  gpt_neox: {
    ggufArch: 'gptneox',
    rope: 'neox',
    qkvLayout: 'per_head',
    metadata: (a) => [['gptneox.use_parallel_residual', 'bool', a.residual === 'parallel']],
    // ggml computes the tanh GELU for gptneox whatever hidden_act says.
    adjustConfig: (cfg) => {
      if (cfg['hidden_act'] !== 'gelu') return [];
      cfg['hidden_act'] = 'gelu_new';
      return ["hidden_act gelu -> gelu_new: llama.cpp's gptneox computes the tanh GELU"];
    },
  },
};

export function ggufRow(family: string): GgufArchRow | null {
  return GGUF_ARCHS[family] ?? null;
}

/**
 * One tensor as llama.cpp wants it: `rows`×`cols` data of logical weight `ref` (a LoRA B
 * passes its own cols = rank; a bias passes cols = 1), permuted / re-laid-out / transposed /
 * offset as the row and the ArchSpec say. `isLoraB`: only the row layout applies.
 */
function convert(a: ArchSpec, row: GgufArchRow, ref: WeightRef, data: Float32Array, shape: number[], isLoraB: boolean): { data: Float32Array; shape: number[] } {
  const m = ref.module;
  const part = ref.part ?? 'weight';
  let d = data;
  let s = shape;
  if (!isLoraB && a.transposedLinear && LINEAR.has(m) && part === 'weight') {
    // Conv1D stores [in, out]; llama.cpp wants [out, in].
    const [inF, outF] = shape as [number, number];
    d = transpose(d, inF, outF);
    s = [outF, inF];
  }
  const cols = s.length > 1 ? (s[1] as number) : 1;
  if (row.rope === 'norm' && (m === 'q_proj' || m === 'k_proj')) d = permuteRows(d, m === 'q_proj' ? a.numHeads : a.numKvHeads, a.headDim, cols);
  if (row.qkvLayout === 'per_head' && m === 'qkv_proj') d = unInterleaveQkv(d, a.numHeads, a.headDim, cols);
  if (!isLoraB && a.norm.weightOffset === 1 && NORMS.has(m) && part === 'weight') d = d.map((x) => x + 1);
  return { data: d, shape: s };
}

/** The model's tensors, named for llama.cpp. */
export function modelTensors(a: ArchSpec, row: GgufArchRow, src: WeightSource): GgufTensor[] {
  const out: GgufTensor[] = [];
  const add = (ref: WeightRef, stem: string) => {
    for (const part of ['weight', 'bias'] as const) {
      const name = weightName(a.weights, { ...ref, part } as WeightRef);
      // The family naming lists optional weights (q/k norms, biases); llama.cpp names any required one it misses.
      if (!src.has(name)) continue;
      const t = convert(a, row, { ...ref, part } as WeightRef, src.readF32(name), src.shape(name), false);
      out.push({ name: `${stem}.${part}`, shape: t.shape, data: t.data });
    }
  };
  add({ module: 'embed' }, MODEL_STEMS.embed);
  if (a.positions === 'learned') add({ module: 'positions' }, MODEL_STEMS.positions);
  for (let l = 0; l < a.numLayers; l++) {
    for (const module of Object.keys(a.weights.layer) as LayerWeight[]) add({ layer: l, module }, `blk.${l}.${LAYER_STEMS[module]}`);
  }
  add({ module: 'final_norm' }, MODEL_STEMS.final_norm);
  if (!a.tieWordEmbeddings) add({ module: 'lm_head' }, MODEL_STEMS.lm_head);
  out.push(...(row.extraTensors?.(a) ?? []));
  return out;
}

/** PEFT LoRA tensors (`base_model.model.<module>.lora_{A,B}.weight`) -> llama.cpp LoRA tensors. */
export function loraTensors(a: ArchSpec, row: GgufArchRow, tensors: readonly { name: string; shape: number[]; data: Float32Array }[]): GgufTensor[] {
  const out: GgufTensor[] = [];
  for (const t of tensors) {
    const m = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/.exec(t.name);
    if (!m) throw new Error(`${t.name}: not a LoRA A/B weight the GGUF writer knows`);
    const ref = parseModulePath(a.weights, m[1] as string);
    if (!ref) throw new Error(`${t.name}: module is not in the ${a.family} naming`);
    const stem = ref.layer !== undefined ? `blk.${ref.layer}.${LAYER_STEMS[ref.module]}` : MODEL_STEMS[ref.module];
    const conv = m[2] === 'B' ? convert(a, row, ref, t.data, t.shape, true) : { data: t.data, shape: t.shape };
    out.push({ name: `${stem}.weight.lora_${m[2] === 'A' ? 'a' : 'b'}`, shape: conv.shape, data: conv.data });
  }
  return out;
}

/** tokenizer.* keys for the fixtures' byte-level BPE tokenizer.json (llama.cpp's `gpt2` tokenizer model). */
export function tokenizerKvs(modelDir: string, a: ArchSpec): Kv[] {
  const tok = JSON.parse(readFileSync(join(modelDir, 'tokenizer.json'), 'utf8')) as {
    model: { vocab: Record<string, number>; merges: (string | [string, string])[] };
    added_tokens: { id: number; content: string }[];
  };
  const tokens: string[] = new Array<string>(a.vocabSize);
  const types: number[] = new Array<number>(a.vocabSize).fill(1);
  for (const [s, id] of Object.entries(tok.model.vocab)) tokens[id] = s;
  for (const t of tok.added_tokens) {
    tokens[t.id] = t.content;
    types[t.id] = 3;
  }
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === undefined) {
      tokens[i] = `<|pad_${i}|>`;
      types[i] = 5;
    }
  }
  const eos = a.eosTokenIds[0] ?? 0;
  return [
    ['tokenizer.ggml.model', 'str', 'gpt2'],
    ['tokenizer.ggml.pre', 'str', 'default'],
    ['tokenizer.ggml.tokens', 'arr_str', tokens],
    ['tokenizer.ggml.token_type', 'arr_i32', types],
    ['tokenizer.ggml.merges', 'arr_str', tok.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m))],
    ['tokenizer.ggml.bos_token_id', 'u32', a.bosTokenId ?? eos],
    ['tokenizer.ggml.eos_token_id', 'u32', eos],
    ['tokenizer.ggml.add_bos_token', 'bool', false],
  ];
}

/** Writes `modelDir` (a sway checkpoint) as a llama.cpp GGUF model. */
export function writeModelGguf(path: string, modelDir: string, a: ArchSpec, row: GgufArchRow, src: WeightSource): void {
  const kvs: Kv[] = [
    ['general.architecture', 'str', row.ggufArch],
    // Not the family: llama.cpp keys vocabulary quirks on general.name ("phi3" expects Phi-3's </s>, <unk>, <s>).
    ['general.name', 'str', 'sway tiny fixture'],
    ['general.file_type', 'u32', 0],
    ...commonMetadata(row.ggufArch, a),
    ...(row.metadata?.(a) ?? []),
    ...tokenizerKvs(modelDir, a),
  ];
  writeGguf(path, kvs, modelTensors(a, row, src));
}

/** Writes PEFT LoRA tensors as a llama.cpp LoRA adapter (llama.cpp scales by alpha / rank, as PEFT does). */
export function writeLoraGguf(path: string, a: ArchSpec, row: GgufArchRow, tensors: readonly { name: string; shape: number[]; data: Float32Array }[], alpha: number): void {
  const kvs: Kv[] = [
    ['general.type', 'str', 'adapter'],
    ['general.architecture', 'str', row.ggufArch],
    ['adapter.type', 'str', 'lora'],
    ['adapter.lora.alpha', 'f32', alpha],
  ];
  writeGguf(path, kvs, loraTensors(a, row, tensors));
}

export type { Kv };
