/**
 * One row per model family sway can write as GGUF for llama.cpp: the GGUF architecture
 * name, how HF tensor names map to GGUF ones, which rows llama.cpp wants permuted, and
 * the metadata keys. A new family is a new row; model.ts and lora.ts read only the table.
 */
import { ModelError } from '../../core/errors.js';
import { ropeInvFreq } from '../rope.js';
import type { LayerModule } from '../adapter/types.js';
import type { ArchSpec, Family } from '../types.js';
import type { GgufTensor, Kv } from './writer.js';

export interface GgufArchRow {
  family: Family;
  ggufArch: string;
  /** Per-layer HF tensor (without `model.layers.N.`) -> GGUF tensor (without `blk.N.`). */
  layerTensors: Record<string, string>;
  /** Global HF tensor -> GGUF tensor. */
  globalTensors: Record<string, string>;
  /** LoRA-able modules -> GGUF weight stem (`blk.N.<stem>.weight`). */
  loraModules: Partial<Record<LayerModule, string>>;
  /** llama.cpp rotates interleaved pairs: q/k rows (and LoRA B rows of q/k) are permuted per head. */
  permute: Partial<Record<LayerModule, 'q' | 'k'>>;
  metadata(arch: ArchSpec): Kv[];
  /** Tensors llama.cpp needs that HF does not store (e.g. llama3 rope factors). */
  extraTensors(arch: ArchSpec): GgufTensor[];
  /** Why this architecture cannot be written for this row, or null. */
  unsupported(arch: ArchSpec): string | null;
}

function llamaMetadata(p: string, a: ArchSpec): Kv[] {
  const kvs: Kv[] = [
    [`${p}.context_length`, 'u32', a.maxPositionEmbeddings],
    [`${p}.embedding_length`, 'u32', a.hiddenSize],
    [`${p}.block_count`, 'u32', a.numLayers],
    [`${p}.feed_forward_length`, 'u32', a.intermediateSize],
    [`${p}.attention.head_count`, 'u32', a.numHeads],
    [`${p}.attention.head_count_kv`, 'u32', a.numKvHeads],
    [`${p}.attention.key_length`, 'u32', a.headDim],
    [`${p}.attention.value_length`, 'u32', a.headDim],
    [`${p}.rope.freq_base`, 'f32', a.rope.theta],
    [`${p}.rope.dimension_count`, 'u32', a.rope.rotaryDim],
    [`${p}.attention.layer_norm_rms_epsilon`, 'f32', a.norm.eps],
    [`${p}.vocab_size`, 'u32', a.vocabSize],
  ];
  if (a.rope.scaling.type === 'linear') kvs.push([`${p}.rope.scaling.type`, 'str', 'linear'], [`${p}.rope.scaling.factor`, 'f32', a.rope.scaling.factor]);
  return kvs;
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

const LLAMA: GgufArchRow = {
  family: 'llama',
  ggufArch: 'llama',
  layerTensors: {
    'input_layernorm.weight': 'attn_norm.weight',
    'self_attn.q_proj.weight': 'attn_q.weight',
    'self_attn.k_proj.weight': 'attn_k.weight',
    'self_attn.v_proj.weight': 'attn_v.weight',
    'self_attn.o_proj.weight': 'attn_output.weight',
    'post_attention_layernorm.weight': 'ffn_norm.weight',
    'mlp.gate_proj.weight': 'ffn_gate.weight',
    'mlp.up_proj.weight': 'ffn_up.weight',
    'mlp.down_proj.weight': 'ffn_down.weight',
  },
  globalTensors: { 'model.embed_tokens.weight': 'token_embd.weight', 'model.norm.weight': 'output_norm.weight', 'lm_head.weight': 'output.weight' },
  loraModules: { q_proj: 'attn_q', k_proj: 'attn_k', v_proj: 'attn_v', o_proj: 'attn_output', gate_proj: 'ffn_gate', up_proj: 'ffn_up', down_proj: 'ffn_down' },
  permute: { q_proj: 'q', k_proj: 'k' },
  metadata: (a) => llamaMetadata('llama', a),
  extraTensors: llama3RopeFactors,
  unsupported: (a) => {
    if (a.qkvBias || a.oBias || a.mlpBias) return 'projection biases (attention_bias / mlp_bias) are not written for the llama row yet';
    if (a.slidingWindow.some((w) => w !== null)) return 'sliding-window attention is not part of llama.cpp\'s llama architecture';
    if (a.rope.rotaryDim !== a.headDim) return 'partial rotary is not supported by the llama row';
    return null;
  },
};

export const GGUF_ARCH_TABLE: readonly GgufArchRow[] = [LLAMA];

export function ggufRowFor(arch: ArchSpec, what: string): GgufArchRow {
  const row = GGUF_ARCH_TABLE.find((r) => r.family === arch.family);
  if (!row) {
    throw new ModelError(`${what}: writing GGUF for the '${arch.family}' family is not supported yet (supported: ${GGUF_ARCH_TABLE.map((r) => r.family).join(', ')})`, 'SWAY_ARCH_UNSUPPORTED');
  }
  const why = row.unsupported(arch);
  if (why) throw new ModelError(`${what}: cannot write GGUF: ${why}`, 'SWAY_ARCH_UNSUPPORTED');
  return row;
}
