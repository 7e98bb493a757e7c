/**
 * Initializer storage for the decoder graph: every fp32 weight in one 64-byte-aligned
 * buffer handed to onnxruntime as in-memory external data, plus small inline constants.
 */
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { SwayError } from '../../core/errors.js';
import { DT, type InitializerDef } from '../onnx/model.js';

export const EXTERNAL_LOCATION = 'sway-weights.bin';

/**
 * Fills values [start, start + out.length) of a weight (flat, row-major) into `out`, so a
 * large tensor can be written piece by piece.
 */
export interface RangeProducer {
  range(out: Float32Array, start: number): void;
}

/** Fills an fp32 destination (a slice of the one external-data buffer) with a weight. */
export type Producer = Float32Array | ((out: Float32Array) => void) | RangeProducer;

/** Values written per piece of a RangeProducer (16 MB of fp32). */
const PIECE = 4 << 20;

function isRange(p: Producer): p is RangeProducer {
  return typeof p === 'object' && !(p instanceof Float32Array);
}

/**
 * Producers run only when the buffer is built, each writing straight into its slice. Writing
 * to a file, a RangeProducer goes in pieces, so the JS side holds at most one piece or one
 * whole-tensor producer's tensor besides what it writes.
 */
export class WeightPacker {
  readonly inits: InitializerDef[] = [];
  private parts: { offset: number; length: number; producer: Producer }[] = [];
  private size = 0;

  /** `piece`: values per piece when a RangeProducer is written to a file (tests lower it). */
  constructor(private readonly piece = PIECE) {}

  add(name: string, dims: number[], producer: Producer): string {
    const length = dims.reduce((a, b) => a * b, 1);
    const offset = Math.ceil(this.size / 64) * 64;
    this.parts.push({ offset, length, producer });
    this.size = offset + length * 4;
    this.inits.push({ name, dataType: DT.FLOAT, dims, external: { location: EXTERNAL_LOCATION, offset, length: length * 4 } });
    return name;
  }

  /** A second initializer over the same bytes of the weight file as `of` (written once). */
  alias(name: string, of: string): string {
    const src = this.inits.find((i) => i.name === of);
    if (!src?.external) throw new SwayError(`internal: no packed weight '${of}' to alias`, 'SWAY_RUNTIME', 3);
    this.inits.push({ ...src, name });
    return name;
  }

  inline(name: string, dataType: number, dims: number[], raw: Uint8Array): string {
    this.inits.push({ name, dataType, dims, raw });
    return name;
  }

  int64(name: string, values: number[]): string {
    return this.inline(name, DT.INT64, [values.length], new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer));
  }

  /** A named fp32 scalar constant (created once per name). */
  scalar(name: string, value: number): string {
    if (this.inits.some((i) => i.name === name)) return name;
    return this.inline(name, DT.FLOAT, [], new Uint8Array(Float32Array.from([value]).buffer));
  }

  /** Bytes of the external-data buffer. */
  get byteLength(): number {
    return this.size;
  }

  /**
   * Writes the external data to a file tensor by tensor (one scratch array of the largest
   * tensor instead of the whole buffer in memory). Offsets match buffer()'s. The caller
   * syncs the file before relying on it surviving a crash.
   */
  writeFile(path: string): void {
    const fd = openSync(path, 'w');
    try {
      ftruncateSync(fd, this.size);
      const scratch = new Float32Array(Math.max(0, ...this.parts.map((p) => (isRange(p.producer) ? Math.min(p.length, this.piece) : p.length))));
      for (const p of this.parts) {
        if (isRange(p.producer)) {
          for (let start = 0; start < p.length; start += this.piece) {
            const out = scratch.subarray(0, Math.min(this.piece, p.length - start));
            p.producer.range(out, start);
            writeSync(fd, new Uint8Array(out.buffer, 0, out.length * 4), 0, out.length * 4, p.offset + start * 4);
          }
          continue;
        }
        const out = scratch.subarray(0, p.length);
        if (typeof p.producer === 'function') {
          out.fill(0);
          p.producer(out);
        } else out.set(p.producer);
        writeSync(fd, new Uint8Array(out.buffer, 0, p.length * 4), 0, p.length * 4, p.offset);
      }
    } finally {
      closeSync(fd);
    }
    this.parts = [];
  }

  buffer(): Buffer {
    const buf = Buffer.alloc(this.size);
    for (const p of this.parts) {
      const out = new Float32Array(buf.buffer, buf.byteOffset + p.offset, p.length);
      if (isRange(p.producer)) p.producer.range(out, 0);
      else if (typeof p.producer === 'function') p.producer(out);
      else out.set(p.producer);
    }
    this.parts = [];
    return buf;
  }
}
