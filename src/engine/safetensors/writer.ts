/** Writes safetensors files atomically (temp file + rename); used by fixtures and tests. */
import { SwayError } from '../../core/errors.js';
import type { SafetensorsDtype } from '../types.js';
import { encodeFromF32 } from './dtype.js';
import { writeFileAtomic } from '../../core/atomic-write.js';

export interface TensorToWrite {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

export function encodeSafetensors(tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = {};
  if (metadata) header['__metadata__'] = metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const numel = t.shape.reduce((a, d) => a * d, 1);
    if (numel !== t.data.length) throw new SwayError(`tensor ${t.name}: shape [${t.shape}] needs ${numel} values, got ${t.data.length}`, 'SWAY_SAFETENSORS_INVALID', 2);
    const bytes = encodeFromF32(t.data, t.dtype);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    blobs.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([head, Buffer.from(json, 'utf8'), ...blobs.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength))]);
}

export function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata?: Record<string, string>): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
