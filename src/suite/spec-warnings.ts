/**
 * Warnings about spec keys that load fine but do nothing here: the reference reads
 * `dtype` and `device` to place a PyTorch model; the sway engine always runs fp32 on the
 * CPU through ONNX Runtime. One warning per key, naming every place it was set.
 */
import type { SwaySpec } from '../core/schema.js';

const IGNORED: { key: 'dtype' | 'device'; inert: readonly string[]; instead: string }[] = [
  { key: 'dtype', inert: ['auto', 'fp32'], instead: 'the local engine converts bf16/fp16 weights to fp32 and computes in fp32' },
  { key: 'device', inert: ['auto', 'cpu'], instead: 'the local engine runs on the CPU through ONNX Runtime' },
];

export function specWarnings(spec: SwaySpec, source: string): string[] {
  const out: string[] = [];
  for (const { key, inert, instead } of IGNORED) {
    const set = (['base', 'ft'] as const)
      .filter((side) => spec.models[side].kind === 'hf' && !inert.includes(String(spec.models[side][key]).toLowerCase()))
      .map((side) => `models.${side}.${key}: ${spec.models[side][key]}`);
    if (set.length) out.push(`${source}: ${set.join(', ')} — ignored: ${instead}; remove the key or set it to ${inert.join(' or ')} to silence this`);
  }
  return out;
}
