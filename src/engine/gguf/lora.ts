/**
 * PEFT LoRA slots -> a llama.cpp LoRA adapter GGUF. Each slot's PEFT scaling is folded
 * into B and `adapter.lora.alpha` is 0, which llama.cpp reads as "scale = the user's
 * adapter scale" (its formula is alpha ? scale * alpha / rank : scale), so rsLoRA,
 * rank_pattern and alpha_pattern all survive the conversion.
 */
import { AdapterError } from '../../core/errors.js';
import type { LoraSlot } from '../adapter/types.js';
import type { ArchSpec } from '../types.js';
import { ggufRowFor } from './arch-table.js';
import { permuteRows, writeGguf, type GgufTensor, type Kv } from './writer.js';

export function loraGgufTensors(slots: readonly LoraSlot[], arch: ArchSpec, what: string): GgufTensor[] {
  const row = ggufRowFor(arch, what);
  const out: GgufTensor[] = [];
  for (const s of slots) {
    if (s.magnitude) throw new AdapterError(`${what}: DoRA adapters cannot be written as llama.cpp LoRA (module '${s.modulePath}')`, 'SWAY_ADAPTER_UNSUPPORTED');
    if (s.bBias) throw new AdapterError(`${what}: LoRA biases (lora_bias) cannot be written as llama.cpp LoRA (module '${s.modulePath}')`, 'SWAY_ADAPTER_UNSUPPORTED');
    let stem: string;
    let b: Float32Array = new Float32Array(s.b.length);
    for (let i = 0; i < b.length; i++) b[i] = (s.b[i] as number) * s.scaling;
    if (s.target.scope === 'lm_head') {
      stem = 'output';
    } else if (s.target.scope === 'layer') {
      const m = row.loraModules[s.target.module];
      if (!m) throw new AdapterError(`${what}: LoRA on '${s.target.module}' has no llama.cpp tensor in the ${row.ggufArch} row`, 'SWAY_ADAPTER_UNSUPPORTED');
      stem = `blk.${s.target.layer}.${m}`;
      const perm = row.permute[s.target.module];
      if (perm) b = permuteRows(b, perm === 'q' ? arch.numHeads : arch.numKvHeads, arch.headDim, s.rank);
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
