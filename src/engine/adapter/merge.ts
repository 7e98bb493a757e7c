/**
 * Merged float64 weights of one view (W + c*B*A per slot, DoRA row rescaling, saved module
 * copies, trainable token rows). Used to drive the float64 reference forward in tests and
 * by the fixture generator; the engine itself never merges.
 */
import { AdapterError } from '../../core/errors.js';
import { weightName, type WeightPart } from '../families.js';
import type { WeightGetter } from '../reference/forward.js';
import type { ArchSpec } from '../types.js';
import { doraGains } from './dora.js';
import type { LoadedAdapter, LoraSlot } from './types.js';

/** The base tensor a slot adapts (its weight, or its bias for lora_B.bias). */
export function slotWeightName(arch: ArchSpec, slot: LoraSlot, part: WeightPart = 'weight'): string {
  const t = slot.target;
  if (t.scope === 'lm_head') return weightName(arch.weights, { module: 'lm_head', part });
  if (t.scope === 'embed_tokens') return weightName(arch.weights, { module: 'embed', part });
  return weightName(arch.weights, { layer: t.layer, module: t.module, part });
}

export interface MergeView {
  /** LoRA multiplier (0 = LoRA off, 1 = fine-tuned). */
  lambda: number;
  /** Replacement slots (e.g. a null adapter); defaults to the adapter's own. */
  slots?: readonly LoraSlot[];
  /** Apply modules_to_save copies and trainable tokens (the fine-tuned side). */
  applyOverrides: boolean;
}

export function mergedWeights(arch: ArchSpec, checkpoint: WeightGetter, adapter: LoadedAdapter | null, view: MergeView): WeightGetter {
  // Tensors PEFT loads into the base module hold in every view (see LoadedAdapter.baseTensors).
  const base: WeightGetter = (name) => adapter?.baseTensors?.get(name)?.data ?? checkpoint(name);
  const cache = new Map<string, Float64Array>();
  const slots = view.slots ?? adapter?.slots ?? [];
  const bySlotName = new Map(slots.map((s) => [slotWeightName(arch, s), s]));
  const byBiasName = new Map(slots.filter((s) => s.bBias).map((s) => [slotWeightName(arch, s, 'bias'), s]));
  const headName = weightName(arch.weights, { module: 'lm_head' });
  const embedName = weightName(arch.weights, { module: 'embed' });
  return (name: string) => {
    const hit = cache.get(name);
    if (hit) return hit;
    const biasSlot = byBiasName.get(name);
    if (biasSlot) {
      // lora_B.bias sits inside the scaled branch: bias' = bias + lambda * scaling * lora_B.bias.
      let b: Float64Array;
      try {
        b = Float64Array.from(base(name));
      } catch {
        b = new Float64Array(biasSlot.outFeatures);
      }
      const c = view.lambda * biasSlot.scaling;
      for (let o = 0; o < b.length; o++) b[o] = (b[o] as number) + c * (biasSlot.bBias![o] as number);
      cache.set(name, b);
      return b;
    }
    let w: Float64Array;
    const override = view.applyOverrides ? adapter?.overrides.get(name) : undefined;
    if (override) w = Float64Array.from(override.data);
    else if (name === headName && arch.tieWordEmbeddings) {
      // A tied head follows the *base* embedding unless lm_head itself was saved.
      w = Float64Array.from(base(embedName));
    } else w = Float64Array.from(base(name));
    if (view.applyOverrides && adapter?.trainableTokens && name === adapter.trainableTokens.tensorName) {
      const H = arch.hiddenSize;
      adapter.trainableTokens.indices.forEach((id, k) => {
        for (let i = 0; i < H; i++) w[id * H + i] = adapter.trainableTokens!.rows[k * H + i] as number;
      });
    }
    const slot = bySlotName.get(name);
    if (slot && view.lambda !== 0) {
      const c = view.lambda * slot.scaling;
      const { inFeatures: inF, outFeatures: outF, rank: r } = slot;
      if (slot.target.scope === 'embed_tokens') {
        // Embedding LoRA: row `id` gains c * B_emb · A_emb[:, id].
        for (let id = 0; id < inF; id++) {
          for (let d = 0; d < outF; d++) {
            let acc = 0;
            for (let k = 0; k < r; k++) acc += (slot.b[d * r + k] as number) * (slot.a[k * inF + id] as number);
            w[id * outF + d] = (w[id * outF + d] as number) + c * acc;
          }
        }
      } else if (arch.transposedLinear && slot.target.scope === 'layer') {
        // Conv1D base weight stored [in, out] (PEFT fan_in_fan_out): the delta B·A lands transposed.
        if (slot.magnitude) throw new AdapterError(`${slot.modulePath}: DoRA on Conv1D (fan_in_fan_out) weights is not supported`, 'SWAY_ADAPTER_UNSUPPORTED');
        for (let o = 0; o < outF; o++) {
          for (let i = 0; i < inF; i++) {
            let acc = 0;
            for (let k = 0; k < r; k++) acc += (slot.b[o * r + k] as number) * (slot.a[k * inF + i] as number);
            w[i * outF + o] = (w[i * outF + o] as number) + c * acc;
          }
        }
      } else {
        const gains = slot.magnitude ? doraGains(slot, Float32Array.from(w), c) : null;
        for (let o = 0; o < outF; o++) {
          for (let i = 0; i < inF; i++) {
            let acc = 0;
            for (let k = 0; k < r; k++) acc += (slot.b[o * r + k] as number) * (slot.a[k * inF + i] as number);
            w[o * inF + i] = (w[o * inF + i] as number) + c * acc;
          }
          if (gains) for (let i = 0; i < inF; i++) w[o * inF + i] = (w[o * inF + i] as number) * (gains[o] as number);
        }
      }
    } else if (slot && slot.magnitude && view.lambda === 0 && view.applyOverrides) {
      const gains = doraGains(slot, Float32Array.from(w), 0);
      for (let o = 0; o < slot.outFeatures; o++) for (let i = 0; i < slot.inFeatures; i++) w[o * slot.inFeatures + i] = (w[o * slot.inFeatures + i] as number) * (gains[o] as number);
    }
    cache.set(name, w);
    return w;
  };
}
