/**
 * Reference weights for a normalised PEFT adapter (LoadedAdapter), computed in float64
 * with the unmerged-PEFT semantics the engine's fine-tuned view must reproduce:
 * - saved copies (modules_to_save) replace their module only; on a tied model an
 *   embed_tokens copy leaves the output head on the original embedding, and an lm_head
 *   copy replaces only the head;
 * - LoRA: W + λ·s·B·A per slot; embed_tokens LoRA adds λ·s·(B·A)ᵀ to the input embedding only;
 * - lora_bias: λ·s·b_B added to the module's bias;
 * - DoRA: rows rescaled to magnitude / ‖W + λ·s·B·A‖ (λ scales the LoRA delta, the
 *   magnitude is used as stored);
 * - trainable tokens: listed rows of the input embedding replaced, and of a tied head too.
 */
import type { LoadedAdapter, LoraSlot } from '../adapter/types.js';
import type { ArchSpec } from '../types.js';
import type { GetWeight, ReferenceOptions } from './forward.js';
import { mergeOne } from './weights.js';

export interface ReferenceAdapterWeights {
  getWeight: GetWeight;
  options: ReferenceOptions;
}

function slotWeightName(slot: LoraSlot): string {
  const t = slot.target;
  if (t.scope === 'lm_head') return 'lm_head.weight';
  if (t.scope === 'embed_tokens') return 'model.embed_tokens.weight';
  const block = ['q_proj', 'k_proj', 'v_proj', 'o_proj'].includes(t.module) ? 'self_attn' : 'mlp';
  return `model.layers.${t.layer}.${block}.${t.module}.weight`;
}

export function referenceAdapterWeights(arch: ArchSpec, getWeight: GetWeight, adapter: LoadedAdapter, lambda = 1): ReferenceAdapterWeights {
  const tied = arch.tieWordEmbeddings;
  const EMBED = 'model.embed_tokens.weight';
  const weights = new Map<string, Float64Array>();
  let head: Float64Array | undefined;
  const current = (name: string): Float64Array => weights.get(name) ?? getWeight(name);

  for (const [name, t] of adapter.overrides) {
    const data = Float64Array.from(t.data);
    if (name === 'lm_head.weight' && tied) head = data;
    else weights.set(name, data);
  }
  if (tied && !head && weights.has(EMBED)) head = getWeight(EMBED);

  const extraBias = new Map<string, Float64Array>();
  for (const slot of adapter.slots) {
    const s = slot.scaling * lambda;
    const name = slotWeightName(slot);
    if (slot.target.scope === 'embed_tokens') {
      // lora_embedding_A [r, vocab], lora_embedding_B [dim, r]: E[v, h] += s · Σ_k B[h, k] A[k, v].
      if (tied && !head) head = getWeight(EMBED);
      const e = Float64Array.from(current(EMBED));
      const V = slot.inFeatures;
      const D = slot.outFeatures;
      const r = slot.rank;
      for (let v = 0; v < V; v++) {
        for (let h = 0; h < D; h++) {
          let acc = 0;
          for (let k = 0; k < r; k++) acc += slot.b[h * r + k]! * slot.a[k * V + v]!;
          e[v * D + h] = e[v * D + h]! + s * acc;
        }
      }
      weights.set(EMBED, e);
      continue;
    }
    const spec = {
      weightName: name,
      outFeatures: slot.outFeatures,
      inFeatures: slot.inFeatures,
      rank: slot.rank,
      scaling: s,
      a: slot.a,
      b: slot.b,
      magnitude: slot.magnitude,
    };
    if (slot.target.scope === 'lm_head' && tied) head = mergeOne(head ?? getWeight(EMBED), spec);
    else weights.set(name, mergeOne(current(name), spec));
    if (slot.bBias) {
      const biasName = name.replace(/\.weight$/, '.bias');
      const prev = extraBias.get(biasName);
      extraBias.set(biasName, Float64Array.from(slot.bBias, (x, i) => (prev ? prev[i]! : 0) + s * x));
    }
  }

  const tt = adapter.trainableTokens;
  if (tt) {
    const D = arch.hiddenSize;
    const replaceRows = (base: Float64Array): Float64Array => {
      const out = Float64Array.from(base);
      tt.indices.forEach((row, j) => {
        for (let h = 0; h < D; h++) out[row * D + h] = tt.rows[j * D + h]!;
      });
      return out;
    };
    const original = current(tt.tensorName);
    weights.set(tt.tensorName, replaceRows(original));
    if (tied && tt.tensorName === EMBED) head = replaceRows(head ?? getWeight(EMBED));
  }

  const get: GetWeight = (name) => weights.get(name) ?? getWeight(name);
  const options: ReferenceOptions = {};
  if (head) options.lmHead = head;
  if (extraBias.size) options.extraBias = extraBias;
  return { getWeight: get, options };
}
