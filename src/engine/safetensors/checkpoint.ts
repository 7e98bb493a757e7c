/**
 * What a llama-style checkpoint must hold for an ArchSpec (HF tensor names and shapes),
 * and one up-front check of a WeightSource against it, so a config/weights mismatch is a
 * single error naming tensors and shapes instead of a failure deep inside a matmul.
 */
import { ModelError } from '../../core/errors.js';
import type { ArchSpec, WeightSource } from '../types.js';

export interface ExpectedTensor {
  name: string;
  shape: number[];
  /** May be absent (a tied model's lm_head.weight); checked when present. */
  optional: boolean;
}

/** Every tensor the forward pass reads for `arch`, in checkpoint order. */
export function expectedTensors(arch: ArchSpec): ExpectedTensor[] {
  const H = arch.hiddenSize;
  const I = arch.intermediateSize;
  const d = arch.headDim;
  const q = arch.numHeads * d;
  const kv = arch.numKvHeads * d;
  const out: ExpectedTensor[] = [];
  const add = (name: string, shape: number[], optional = false): void => {
    out.push({ name, shape, optional });
  };
  add('model.embed_tokens.weight', [arch.vocabSize, H]);
  for (let l = 0; l < arch.numLayers; l++) {
    const p = `model.layers.${l}.`;
    add(`${p}input_layernorm.weight`, [H]);
    for (const [m, rows] of [['q_proj', q], ['k_proj', kv], ['v_proj', kv]] as const) {
      add(`${p}self_attn.${m}.weight`, [rows, H]);
      if (arch.qkvBias) add(`${p}self_attn.${m}.bias`, [rows]);
    }
    if (arch.qkNorm) {
      add(`${p}self_attn.q_norm.weight`, [d]);
      add(`${p}self_attn.k_norm.weight`, [d]);
    }
    add(`${p}self_attn.o_proj.weight`, [H, q]);
    if (arch.oBias) add(`${p}self_attn.o_proj.bias`, [H]);
    add(`${p}post_attention_layernorm.weight`, [H]);
    for (const [m, shape] of [['gate_proj', [I, H]], ['up_proj', [I, H]], ['down_proj', [H, I]]] as const) {
      add(`${p}mlp.${m}.weight`, [...shape]);
      if (arch.mlpBias) add(`${p}mlp.${m}.bias`, [shape[0]]);
    }
  }
  add('model.norm.weight', [H]);
  add('lm_head.weight', [arch.vocabSize, H], arch.tieWordEmbeddings);
  return out;
}

export interface CheckpointCheck {
  /** Tensors in the checkpoint that the forward pass does not read (e.g. rotary `inv_freq` buffers). */
  unused: string[];
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * Throws one ModelError listing missing tensors and shape mismatches (first few of each),
 * naming the checkpoint and pointing at config.json, which they contradict.
 */
export function validateCheckpoint(arch: ArchSpec, source: WeightSource, configFile = 'config.json'): CheckpointCheck {
  const expected = expectedTensors(arch);
  const missing: string[] = [];
  const mismatched: string[] = [];
  for (const t of expected) {
    if (!source.has(t.name)) {
      if (!t.optional) missing.push(t.name);
      continue;
    }
    const shape = source.shape(t.name);
    if (shape.length !== t.shape.length || shape.some((v, i) => v !== t.shape[i])) {
      mismatched.push(`'${t.name}' is ${fmt(shape)}, expected ${fmt(t.shape)}`);
    }
  }
  if (missing.length || mismatched.length) {
    const parts: string[] = [];
    const list = (xs: string[]): string => xs.slice(0, 5).join('; ') + (xs.length > 5 ? `; … ${xs.length - 5} more` : '');
    if (missing.length) {
      const headHint =
        missing.includes('lm_head.weight') && !arch.tieWordEmbeddings
          ? " (lm_head.weight is missing while tie_word_embeddings is false: if the model shares its embedding with the head, set 'tie_word_embeddings': true)"
          : '';
      parts.push(`${missing.length} missing tensor(s): ${list(missing.map((m) => `'${m}'`))}${headHint}`);
    }
    if (mismatched.length) parts.push(`${mismatched.length} shape mismatch(es): ${list(mismatched)}`);
    throw new ModelError(
      `${source.description}: checkpoint does not match ${configFile} (${arch.family}, hidden ${arch.hiddenSize}, ${arch.numLayers} layers, ` +
        `${arch.numHeads}/${arch.numKvHeads} heads × ${arch.headDim}, vocab ${arch.vocabSize}) — ${parts.join('; ')}. ` +
        'Fix: use the config.json that was saved with these weights.',
    );
  }
  const known = new Set(expected.map((t) => t.name));
  return { unused: source.names().filter((n) => !known.has(n)) };
}
