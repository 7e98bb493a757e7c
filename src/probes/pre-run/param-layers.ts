/**
 * Optimizer param id → transformer layer, from the adapter's safetensors tensor names
 * (PEFT registers LoRA params layer-major, so ids 0..N-1 follow the sorted layer order).
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

export class ParamMappingError extends Error {}

/** Tensor names of a safetensors file (header only; `__metadata__` dropped). */
export function safetensorsKeys(path: string): string[] {
  const fd = openSync(path, 'r');
  try {
    const lenBuf = Buffer.alloc(8);
    if (readSync(fd, lenBuf, 0, 8, 0) !== 8) throw new ParamMappingError(`${path}: too short for a safetensors header`);
    const len = Number(lenBuf.readBigUInt64LE(0));
    if (len > 100_000_000) throw new ParamMappingError(`${path}: implausible safetensors header length ${len}`);
    const hdr = Buffer.alloc(len);
    if (readSync(fd, hdr, 0, len, 8) !== len) throw new ParamMappingError(`${path}: truncated safetensors header`);
    const parsed = JSON.parse(hdr.toString('utf8')) as Record<string, unknown>;
    return Object.keys(parsed).filter((k) => k !== '__metadata__');
  } catch (err) {
    if (err instanceof ParamMappingError) throw err;
    throw new ParamMappingError(`${path}: unreadable safetensors header (${(err as Error).message})`);
  } finally {
    closeSync(fd);
  }
}

export interface LayerMapping {
  layerOf: Map<number, number>;
  numLayers: number;
  paramsPerLayer: number;
}

export function mapParamIdsToLayers(adapterDir: string, numParams: number): LayerMapping {
  const path = join(adapterDir, 'adapter_model.safetensors');
  if (!existsSync(path)) throw new ParamMappingError(`adapter_model.safetensors missing at ${path} — per-layer analysis disabled`);
  const keys = safetensorsKeys(path);
  if (keys.length === 0) throw new ParamMappingError(`${path}: no tensors`);
  const counts = new Map<number, number>();
  for (const k of keys) {
    const m = /\.layers\.(\d+)\./.exec(k);
    if (m) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
  }
  if (counts.size === 0) throw new ParamMappingError(`${path}: no key carries a layer index`);
  const per = new Set(counts.values());
  if (per.size !== 1) throw new ParamMappingError(`${path}: heterogeneous per-layer key counts`);
  const paramsPerLayer = [...per][0]!;
  const layers = [...counts.keys()].sort((a, b) => a - b);
  const expected = paramsPerLayer * layers.length;
  if (numParams < expected) {
    throw new ParamMappingError(
      `optimizer state has ${numParams} params but safetensors has ${expected} layered weight keys — adapter / state mismatch`,
    );
  }
  const layerOf = new Map<number, number>();
  for (let i = 0; i < expected; i++) layerOf.set(i, layers[Math.floor(i / paramsPerLayer)]!);
  return { layerOf, numLayers: layers.length, paramsPerLayer };
}
