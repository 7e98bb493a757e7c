/** Per-layer geometry: head size and key/value heads, KV sharing and MLP width of layer l (uniform unless the ArchSpec says otherwise). */
import type { ArchSpec, LayerHeads } from './types.js';

export function layerHeads(arch: ArchSpec, l: number): LayerHeads {
  return arch.layerHeads?.[l] ?? { headDim: arch.headDim, numKvHeads: arch.numKvHeads };
}

/** q and k/v projection widths of layer l. */
export function layerWidths(arch: ArchSpec, l: number): { q: number; kv: number } {
  const h = layerHeads(arch, l);
  return { q: arch.numHeads * h.headDim, kv: h.numKvHeads * h.headDim };
}

/** The layer whose keys/values layer l attends to (l itself unless it shares another's). */
export function kvSource(arch: ArchSpec, l: number): number {
  return arch.kvSource?.[l] ?? l;
}

export function isKvShared(arch: ArchSpec, l: number): boolean {
  return kvSource(arch, l) !== l;
}

export function layerIntermediate(arch: ArchSpec, l: number): number {
  return arch.layerIntermediate?.[l] ?? arch.intermediateSize;
}

/** Whether layer l takes its values from its key projection (it has no v_proj). */
export function keysAsValues(arch: ArchSpec, l: number): boolean {
  return arch.keysAsValues?.[l] ?? false;
}

/** The layers that own a KV cache (a KV-shared layer reads another's), with their cache geometry. */
export function cacheLayers(arch: ArchSpec): ({ layer: number } & LayerHeads)[] {
  const out: ({ layer: number } & LayerHeads)[] = [];
  for (let l = 0; l < arch.numLayers; l++) if (!isKvShared(arch, l)) out.push({ layer: l, ...layerHeads(arch, l) });
  return out;
}
