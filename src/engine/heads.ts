/** Per-layer attention geometry: head size and key/value heads of layer l (uniform unless arch.layerHeads says otherwise). */
import type { ArchSpec, LayerHeads } from './types.js';

export function layerHeads(arch: ArchSpec, l: number): LayerHeads {
  return arch.layerHeads?.[l] ?? { headDim: arch.headDim, numKvHeads: arch.numKvHeads };
}

/** q and k/v projection widths of layer l. */
export function layerWidths(arch: ArchSpec, l: number): { q: number; kv: number } {
  const h = layerHeads(arch, l);
  return { q: arch.numHeads * h.headDim, kv: h.numKvHeads * h.headDim };
}
