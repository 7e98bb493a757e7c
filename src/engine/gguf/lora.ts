/**
 * PEFT LoRA slots -> a llama.cpp LoRA adapter GGUF. Each slot's PEFT scaling is folded
 * into B and `adapter.lora.alpha` is 0, which llama.cpp reads as "scale = the user's
 * adapter scale" (its formula is alpha ? scale * alpha / rank : scale), so rsLoRA,
 * rank_pattern and alpha_pattern all survive the conversion. Tensor names and B's row
 * layout come from the architecture table, as for the model (model.ts).
 */
import { AdapterError } from '../../core/errors.js';
import type { LoraSlot } from '../adapter/types.js';
import type { ArchSpec } from '../types.js';
import { ggufRowFor, LAYER_STEMS, MODEL_STEMS } from './arch-table.js';
import { ggufTensorData } from './tensors.js';
import { writeGguf, type GgufTensor, type Kv } from './writer.js';

export function loraGgufTensors(slots: readonly LoraSlot[], arch: ArchSpec, what: string): GgufTensor[] {
  const row = ggufRowFor(arch, what);
  const out: GgufTensor[] = [];
  for (const s of slots) {
    if (s.magnitude) throw new AdapterError(`${what}: DoRA adapters cannot be written as llama.cpp LoRA (module '${s.modulePath}')`, 'SWAY_ADAPTER_UNSUPPORTED');
    if (s.bBias) throw new AdapterError(`${what}: LoRA biases (lora_bias) cannot be written as llama.cpp LoRA (module '${s.modulePath}')`, 'SWAY_ADAPTER_UNSUPPORTED');
    const scaled = Float32Array.from(s.b, (x) => x * s.scaling);
    let stem: string;
    let b: Float32Array = scaled;
    if (s.target.scope === 'lm_head') {
      if (arch.tieWordEmbeddings && row.outputHead === 'untied') {
        throw new AdapterError(`${what}: LoRA on lm_head of a tied ${arch.family} model has no llama.cpp tensor (${row.ggufArch} reuses the embedding as the head)`, 'SWAY_ADAPTER_UNSUPPORTED');
      }
      stem = MODEL_STEMS.lm_head;
    } else if (s.target.scope === 'layer') {
      stem = `blk.${s.target.layer}.${LAYER_STEMS[s.target.module]}`;
      b = ggufTensorData(arch, row, { layer: s.target.layer, module: s.target.module }, scaled, [s.outFeatures, s.rank], true).data;
    } else {
      throw new AdapterError(`${what}: LoRA on embed_tokens cannot be written as llama.cpp LoRA yet`, 'SWAY_ADAPTER_UNSUPPORTED');
    }
    out.push({ name: `${stem}.weight.lora_a`, shape: [s.rank, s.inFeatures], data: s.a });
    out.push({ name: `${stem}.weight.lora_b`, shape: [s.outFeatures, s.rank], data: b });
  }
  return out;
}

export function writeLoraGguf(path: string, slots: readonly LoraSlot[], arch: ArchSpec, meta: { name: string; what: string }): void {
  const row = ggufRowFor(arch, meta.what);
  const kvs: Kv[] = [
    ['general.type', 'str', 'adapter'],
    ['general.architecture', 'str', row.ggufArch],
    ['general.name', 'str', meta.name],
    ['adapter.type', 'str', 'lora'],
    ['adapter.lora.alpha', 'f32', 0],
  ];
  writeGguf(path, kvs, loraGgufTensors(slots, arch, meta.what));
}
