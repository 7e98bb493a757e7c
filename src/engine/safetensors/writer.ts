/**
 * Writes safetensors files (fixtures, tests, exported adapters). Tensors are laid out
 * in the given order, the header padded with spaces to 8-byte alignment as upstream does,
 * and the file written atomically (temp file + rename).
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { SafetensorsDtype } from '../types.js';
import { DTYPE_BYTES, encodeFromNumbers } from './dtype.js';

export interface TensorToWrite {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  data: ArrayLike<number>;
}

/** Serialises tensors to the safetensors byte layout. */
export function encodeSafetensors(tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Uint8Array[] {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, d) => a * d, 1);
    if (count !== t.data.length) {
      throw new RangeError(`tensor '${t.name}': shape [${t.shape.join(', ')}] holds ${count} values, data has ${t.data.length}`);
    }
    const bytes = encodeFromNumbers(t.data, t.dtype);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + count * DTYPE_BYTES[t.dtype]] };
    offset += bytes.byteLength;
    blobs.push(bytes);
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const jsonBytes = new TextEncoder().encode(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(jsonBytes.byteLength), true);
  return [prefix, jsonBytes, ...blobs];
}

export function writeSafetensors(file: string, tensors: readonly TensorToWrite[], metadata?: Record<string, string>): void {
  const parts = encodeSafetensors(tensors, metadata);
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const p of parts) writeSync(fd, p);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
    rmSync(tmp, { force: true });
    throw err;
  }
}
