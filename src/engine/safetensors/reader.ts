/**
 * One safetensors file opened lazily: the header is parsed on open, tensor bytes are
 * read with positioned fs reads on demand (the file is never resident as a whole).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ModelError } from '../../core/errors.js';
import type { SafetensorsDtype } from '../types.js';
import { decodeToF32 } from './dtype.js';
import { parseHeader, parseHeaderLength, type SafetensorsHeader, type TensorEntry } from './header.js';

/** One positioned read may not exceed 2 GiB - 1 in Node; large tensors are read in pieces. */
const MAX_READ = 1 << 30;

function readExactly(fd: number, file: string, length: number, position: number): Uint8Array {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, Math.min(length - done, MAX_READ), position + done);
    if (n === 0) throw new ModelError(`${file}: unexpected end of file (truncated safetensors?)`, 'SWAY_SAFETENSORS_INVALID');
    done += n;
  }
  return buf;
}

export class SafetensorsFile {
  readonly file: string;
  readonly header: SafetensorsHeader;
  private fd: number | null;

  private constructor(file: string, fd: number, header: SafetensorsHeader) {
    this.file = file;
    this.fd = fd;
    this.header = header;
  }

  static open(file: string): SafetensorsFile {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (err) {
      throw new ModelError(`${file}: cannot open safetensors file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'SWAY_SAFETENSORS_INVALID');
    }
    try {
      const size = fstatSync(fd).size;
      const prefix = size >= 8 ? readExactly(fd, file, 8, 0) : new Uint8Array(0);
      const n = parseHeaderLength(file, prefix, size);
      const json = readExactly(fd, file, n, 8);
      return new SafetensorsFile(file, fd, parseHeader(file, n, json, size));
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  get metadata(): Record<string, string> {
    return this.header.metadata;
  }

  names(): string[] {
    return [...this.header.tensors.keys()];
  }

  entry(name: string): TensorEntry {
    const e = this.header.tensors.get(name);
    if (!e) throw new ModelError(`${this.file}: no tensor named '${name}'`, 'SWAY_SAFETENSORS_INVALID');
    return e;
  }

  /** Raw little-endian bytes of one tensor. */
  readBytes(name: string): Uint8Array {
    const e = this.entry(name);
    if (this.fd === null) throw new ModelError(`${this.file}: read after close`, 'SWAY_RUNTIME');
    return readExactly(this.fd, this.file, e.end - e.begin, e.begin);
  }

  readF32(name: string, options?: { checkFinite?: boolean }): Float32Array {
    const e = this.entry(name);
    const count = e.shape.reduce((a, d) => a * d, 1);
    const out = decodeToF32(this.readBytes(name), e.dtype, count);
    if (options?.checkFinite) assertFinite(out, this.file, name);
    return out;
  }

  /**
   * Decodes one tensor into a caller-owned buffer (e.g. a slice of one large weight
   * buffer), avoiding an intermediate fp32 copy. `target.length` must equal the element count.
   */
  readF32Into(name: string, target: Float32Array, options?: { checkFinite?: boolean }): Float32Array {
    const e = this.entry(name);
    const count = e.shape.reduce((a, d) => a * d, 1);
    if (target.length !== count) {
      throw new RangeError(`${this.file}: tensor '${name}' has ${count} values, target holds ${target.length}`);
    }
    decodeToF32(this.readBytes(name), e.dtype, count, target);
    if (options?.checkFinite) assertFinite(target, this.file, name);
    return target;
  }

  dtype(name: string): SafetensorsDtype {
    return this.entry(name).dtype;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Throws a ModelError naming file, tensor and the number of NaN/Inf values. */
export function assertFinite(data: Float32Array, file: string, name: string): void {
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if (Number.isNaN(x)) nan++;
    else if (!Number.isFinite(x)) inf++;
  }
  if (nan + inf > 0) {
    throw new ModelError(
      `${file}: tensor '${name}' has ${nan + inf} non-finite values (${nan} NaN, ${inf} Inf) of ${data.length}; the checkpoint is corrupt or was saved after a diverged training run`,
      'SWAY_SAFETENSORS_INVALID',
    );
  }
}
