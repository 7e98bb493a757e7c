/**
 * WeightSource over a model directory: a single `model.safetensors`, or the shards
 * listed in `model.safetensors.index.json` (weight_map: tensor → shard file).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ModelError } from '../../core/errors.js';
import type { SafetensorsDtype, WeightSource } from '../types.js';
import { SafetensorsFile } from './reader.js';

export const INDEX_FILE = 'model.safetensors.index.json';
export const SINGLE_FILE = 'model.safetensors';

/** WeightSource over one or more safetensors files; also decodes into caller buffers. */
export class SafetensorsWeightSource implements WeightSource {
  readonly description: string;
  private readonly owner = new Map<string, SafetensorsFile>();
  private readonly files: SafetensorsFile[];

  constructor(description: string, files: SafetensorsFile[], owner: Map<string, SafetensorsFile>) {
    this.description = description;
    this.files = files;
    this.owner = owner;
  }

  private file(name: string): SafetensorsFile {
    const f = this.owner.get(name);
    if (!f) throw new ModelError(`${this.description}: no tensor named '${name}'`, 'SWAY_MODEL_INVALID');
    return f;
  }

  names(): string[] {
    return [...this.owner.keys()];
  }
  has(name: string): boolean {
    return this.owner.has(name);
  }
  shape(name: string): number[] {
    return [...this.file(name).entry(name).shape];
  }
  dtype(name: string): SafetensorsDtype {
    return this.file(name).dtype(name);
  }
  readF32(name: string, options?: { checkFinite?: boolean }): Float32Array {
    return this.file(name).readF32(name, options);
  }
  readF32Into(name: string, target: Float32Array, options?: { checkFinite?: boolean }): Float32Array {
    return this.file(name).readF32Into(name, target, options);
  }
  /** Size in bytes of a tensor as stored. */
  byteLength(name: string): number {
    const e = this.file(name).entry(name);
    return e.end - e.begin;
  }
  close(): void {
    for (const f of this.files) f.close();
  }
}

/** Opens one safetensors file as a WeightSource. */
export function openSafetensorsSource(file: string): SafetensorsWeightSource {
  const f = SafetensorsFile.open(file);
  const owner = new Map(f.names().map((n) => [n, f] as const));
  return new SafetensorsWeightSource(file, [f], owner);
}

/** Opens the checkpoint of a model directory (sharded index preferred when present). */
export function openModelWeights(dir: string): SafetensorsWeightSource {
  const indexPath = path.join(dir, INDEX_FILE);
  if (existsSync(indexPath)) return openShardedSource(indexPath);
  const single = path.join(dir, SINGLE_FILE);
  if (existsSync(single)) return openSafetensorsSource(single);
  const pickles = ['pytorch_model.bin', 'pytorch_model.bin.index.json'].filter((f) => existsSync(path.join(dir, f)));
  const hint = pickles.length
    ? ` Found ${pickles.join(', ')} (pickle); convert it to safetensors first (e.g. transformers save_pretrained(safe_serialization=True)).`
    : '';
  throw new ModelError(`${dir}: no ${SINGLE_FILE} or ${INDEX_FILE}.${hint}`, 'SWAY_MODEL_INVALID');
}

/** Opens a sharded checkpoint from its index file. */
export function openShardedSource(indexPath: string): SafetensorsWeightSource {
  let index: unknown;
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (err) {
    throw new ModelError(`${indexPath}: not valid JSON (${(err as Error).message})`, 'SWAY_SAFETENSORS_INVALID');
  }
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) {
    throw new ModelError(`${indexPath}: key 'weight_map' missing or not an object of tensor → shard file`, 'SWAY_SAFETENSORS_INVALID');
  }
  const dir = path.dirname(indexPath);
  const shards = new Map<string, SafetensorsFile>();
  const owner = new Map<string, SafetensorsFile>();
  try {
    for (const [tensor, shard] of Object.entries(map as Record<string, unknown>)) {
      if (typeof shard !== 'string' || shard.includes('..') || path.isAbsolute(shard)) {
        throw new ModelError(`${indexPath}: weight_map['${tensor}'] must be a shard file name in the same directory`, 'SWAY_SAFETENSORS_INVALID');
      }
      let f = shards.get(shard);
      if (!f) {
        const shardPath = path.join(dir, shard);
        if (!existsSync(shardPath)) {
          throw new ModelError(`${indexPath}: shard '${shard}' (holding '${tensor}') is missing from ${dir}; download the complete checkpoint`, 'SWAY_SAFETENSORS_INVALID');
        }
        f = SafetensorsFile.open(shardPath);
        shards.set(shard, f);
      }
      if (!f.header.tensors.has(tensor)) {
        throw new ModelError(`${indexPath}: weight_map says '${tensor}' is in ${shard}, but that shard has no such tensor`, 'SWAY_SAFETENSORS_INVALID');
      }
      owner.set(tensor, f);
    }
  } catch (err) {
    for (const f of shards.values()) f.close();
    throw err;
  }
  return new SafetensorsWeightSource(indexPath, [...shards.values()], owner);
}
