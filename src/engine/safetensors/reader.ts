/**
 * WeightSource over one safetensors file or a sharded checkpoint
 * (`model.safetensors.index.json`). Tensors are read lazily with positioned reads, so
 * only the tensor being converted is resident on the JS side.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError } from '../../core/errors.js';
import type { ReadIntoOptions, SafetensorsDtype, StoredBytes, WeightSource } from '../types.js';
import { countNonFiniteF32, DTYPE_BYTES, widenBf16InPlace, widenF16InPlace } from './dtype.js';
import { parseHeader, type SafetensorsHeader, type TensorEntry } from './header.js';

class SafetensorsFile {
  readonly header: SafetensorsHeader;
  private fd: number | null;

  constructor(readonly path: string) {
    if (!existsSync(path)) throw new ModelError(`${path}: file not found`, 'SWAY_MODEL_NOT_FOUND');
    this.fd = openSync(path, 'r');
    const size = fstatSync(this.fd).size;
    this.header = parseHeader(path, (len, off) => this.readBytes(len, off), size);
  }

  readBytes(length: number, offset: number): Buffer {
    const buf = Buffer.alloc(length);
    this.readInto(buf, offset);
    return buf;
  }

  /** Reads `target.length` bytes at `offset` straight into `target`. */
  readInto(target: Uint8Array, offset: number): void {
    if (this.fd === null) throw new ModelError(`${this.path}: read after close`, 'SWAY_RUNTIME');
    readAt(this.fd, this.path, target, offset);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Reads `target.length` bytes of the file open as `fd` (at `path`, for errors) at `offset`, straight into `target`. */
export function readAt(fd: number, path: string, target: Uint8Array, offset: number): void {
  let done = 0;
  while (done < target.length) {
    const n = readSync(fd, target, done, Math.min(target.length - done, 1 << 30), offset + done);
    if (n === 0) throw new ModelError(`${path}: unexpected end of file (truncated)`, 'SWAY_SAFETENSORS_INVALID');
    done += n;
  }
}

/** The refusal of a tensor with NaN/Inf values, naming file and tensor. */
export function nonFiniteError(path: string, name: string, bad: number): ModelError {
  return new ModelError(`${path}: tensor '${name}' has ${bad} non-finite value(s) (NaN/Inf); the checkpoint is corrupt — re-export it.`, 'SWAY_MODEL_INVALID');
}

export class SafetensorsSource implements WeightSource {
  private readonly byName = new Map<string, { file: SafetensorsFile; entry: TensorEntry }>();

  private constructor(
    readonly description: string,
    private readonly files: SafetensorsFile[],
  ) {
    for (const f of files) for (const e of f.header.entries.values()) this.byName.set(e.name, { file: f, entry: e });
  }

  static openFile(path: string): SafetensorsSource {
    return new SafetensorsSource(path, [new SafetensorsFile(path)]);
  }

  /** Opens `model.safetensors` or the shards listed in `model.safetensors.index.json` in `dir`. */
  static openDir(dir: string, stem = 'model'): SafetensorsSource {
    const single = join(dir, `${stem}.safetensors`);
    const index = join(dir, `${stem}.safetensors.index.json`);
    if (existsSync(single)) return SafetensorsSource.openFile(single);
    if (!existsSync(index)) {
      throw new ModelError(
        `${dir}: no ${stem}.safetensors or ${stem}.safetensors.index.json found. sway reads safetensors checkpoints only ` +
          '(convert pytorch_model.bin with transformers save_pretrained(safe_serialization=True)).',
        'SWAY_MODEL_NOT_FOUND',
      );
    }
    let weightMap: Record<string, string> | undefined;
    try {
      weightMap = (JSON.parse(readFileSync(index, 'utf8')) as { weight_map?: Record<string, string> } | null)?.weight_map;
    } catch {
      weightMap = undefined;
    }
    if (!weightMap || typeof weightMap !== 'object') {
      throw new ModelError(`${index}: not a valid index (expected a JSON object with "weight_map")`, 'SWAY_SAFETENSORS_INVALID');
    }
    const shardNames = [...new Set(Object.values(weightMap))].sort();
    const files: SafetensorsFile[] = [];
    try {
      for (const shard of shardNames) {
        const p = join(dir, shard);
        if (!existsSync(p)) {
          throw new ModelError(
            `${index}: shard '${shard}' is listed in weight_map but ${p} does not exist (incomplete download?)`,
            'SWAY_SAFETENSORS_INVALID',
          );
        }
        files.push(new SafetensorsFile(p));
      }
    } catch (err) {
      for (const f of files) f.close();
      throw err;
    }
    const src = new SafetensorsSource(index, files);
    for (const [name, shard] of Object.entries(weightMap)) {
      const hit = src.byName.get(name);
      if (!hit || !hit.file.path.endsWith(shard)) {
        src.close();
        throw new ModelError(`${index}: tensor '${name}' is mapped to '${shard}' but that shard does not contain it`, 'SWAY_SAFETENSORS_INVALID');
      }
    }
    return src;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  private get(name: string): { file: SafetensorsFile; entry: TensorEntry } {
    const hit = this.byName.get(name);
    if (!hit) throw new ModelError(`${this.description}: tensor '${name}' is missing`, 'SWAY_MODEL_INVALID');
    return hit;
  }

  shape(name: string): number[] {
    return [...this.get(name).entry.shape];
  }

  dtype(name: string): SafetensorsDtype {
    return this.get(name).entry.dtype;
  }

  /** Path of the file holding `name` (for error messages). */
  fileOf(name: string): string {
    return this.get(name).file.path;
  }

  storedBytes(name: string): StoredBytes {
    const { file, entry } = this.get(name);
    return { path: file.path, offset: entry.begin, byteLength: entry.end - entry.begin, dtype: entry.dtype };
  }

  readF32(name: string, options?: { checkFinite?: boolean }): Float32Array {
    const { entry } = this.get(name);
    const out = new Float32Array((entry.end - entry.begin) / DTYPE_BYTES[entry.dtype]);
    this.readF32Into(name, out, options);
    return out;
  }

  /**
   * Reads and converts values [start, start + out.length) of a tensor (flat, row-major)
   * straight into `out`: the file bytes land in `out`'s own memory and half-precision values
   * are widened in place, so no temporary copy is made.
   */
  readF32Into(name: string, out: Float32Array, options?: ReadIntoOptions): void {
    const { file, entry } = this.get(name);
    const width = DTYPE_BYTES[entry.dtype];
    const count = (entry.end - entry.begin) / width;
    const start = options?.start ?? 0;
    if (start < 0 || start + out.length > count) throw new ModelError(`${file.path}: tensor '${name}' holds ${count} values, asked for [${start}, ${start + out.length})`, 'SWAY_SAFETENSORS_INVALID');
    const bytes = out.length * width;
    const at = entry.begin + start * width;
    const raw = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    let bad: number;
    if (entry.dtype === 'F32') {
      file.readInto(raw, at);
      bad = options?.checkFinite ? countNonFiniteF32(out) : 0;
    } else {
      file.readInto(raw.subarray(bytes), at);
      bad = entry.dtype === 'BF16' ? widenBf16InPlace(out) : widenF16InPlace(out);
    }
    if (options?.checkFinite && bad > 0) throw nonFiniteError(file.path, name, bad);
  }

  close(): void {
    for (const f of this.files) f.close();
  }
}
