/**
 * Parsing and validating a safetensors header: 8-byte little-endian length, JSON table
 * of tensors (dtype, shape, data_offsets relative to the data blob), optional
 * `__metadata__`. Every defect is one ModelError naming the file (and tensor).
 */
import { ModelError } from '../../core/errors.js';
import type { SafetensorsDtype } from '../types.js';
import { DTYPE_BYTES, isSupportedDtype } from './dtype.js';

export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte offsets in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  file: string;
  headerLength: number;
  metadata: Record<string, string>;
  tensors: Map<string, TensorEntry>;
}

function bad(file: string, what: string): ModelError {
  return new ModelError(`${file}: invalid safetensors file — ${what}`, 'SWAY_SAFETENSORS_INVALID');
}

/** Reads the 8-byte prefix; returns the header length (validated against the file size). */
export function parseHeaderLength(file: string, prefix: Uint8Array, fileSize: number): number {
  if (fileSize < 8 || prefix.byteLength < 8) throw bad(file, `file is ${fileSize} bytes, shorter than the 8-byte header length`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(fileSize - 8)) {
    const hint = prefix[0] === 0x80 || prefix[0] === 0x50 ? ' (this looks like a pickle/zip checkpoint; convert it to safetensors)' : '';
    throw bad(file, `header length ${n} exceeds the file size ${fileSize}${hint}`);
  }
  return Number(n);
}

/** Parses and validates the JSON header against the file size. */
export function parseHeader(file: string, headerLength: number, json: Uint8Array, fileSize: number): SafetensorsHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (err) {
    throw bad(file, `header is not valid JSON (${(err as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad(file, 'header is not a JSON object');
  const dataStart = 8 + headerLength;
  const blobSize = fileSize - dataStart;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value !== null && typeof value === 'object') metadata = value as Record<string, string>;
      continue;
    }
    const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (v === null || typeof v !== 'object') throw bad(file, `tensor '${name}' has no descriptor`);
    if (!isSupportedDtype(v.dtype)) {
      throw bad(file, `tensor '${name}' has dtype ${JSON.stringify(v.dtype)}; supported weight dtypes are F32, F16, BF16`);
    }
    const shape = v.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw bad(file, `tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    }
    const offs = v.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[0] > offs[1]) {
      throw bad(file, `tensor '${name}' has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [b, e] = offs as [number, number];
    if (e > blobSize) {
      throw bad(file, `tensor '${name}' data_offsets [${b}, ${e}] run past the end of the data (${blobSize} bytes; file truncated?)`);
    }
    const count = (shape as number[]).reduce((a, d) => a * d, 1);
    const expected = count * DTYPE_BYTES[v.dtype];
    if (e - b !== expected) {
      throw bad(file, `tensor '${name}' spans ${e - b} bytes but shape [${(shape as number[]).join(', ')}] × ${v.dtype} needs ${expected}`);
    }
    tensors.set(name, { name, dtype: v.dtype, shape: shape as number[], begin: dataStart + b, end: dataStart + e });
  }
  // The data blob must be covered exactly: no overlaps, no gaps.
  const sorted = [...tensors.values()].sort((x, y) => x.begin - y.begin || x.end - y.end);
  let cursor = dataStart;
  for (const t of sorted) {
    if (t.begin < cursor) throw bad(file, `tensor '${t.name}' overlaps the previous tensor's bytes`);
    if (t.begin > cursor) throw bad(file, `gap of ${t.begin - cursor} unused bytes before tensor '${t.name}'`);
    cursor = t.end;
  }
  if (cursor !== fileSize) throw bad(file, `${fileSize - cursor} trailing bytes after the last tensor`);
  return { file, headerLength, metadata, tensors };
}
