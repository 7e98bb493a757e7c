/**
 * safetensors header parsing and validation: 8-byte little-endian header length, a JSON
 * object of `name -> {dtype, shape, data_offsets}`, optional `__metadata__`, then the data
 * blob. Every inconsistency is a ModelError naming the file and the tensor.
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
  entries: Map<string, TensorEntry>;
  metadata: Record<string, string>;
  dataStart: number;
}

const MAX_HEADER_BYTES = 100 * 1024 * 1024;

function bad(file: string, what: string): ModelError {
  return new ModelError(
    `${file}: not a valid safetensors file — ${what}. Re-export or re-download the checkpoint.`,
    'SWAY_SAFETENSORS_INVALID',
  );
}

/** Parses the header given the first bytes of the file and the total file size. */
export function parseHeader(file: string, readPrefix: (length: number, offset: number) => Buffer, fileSize: number): SafetensorsHeader {
  if (fileSize < 8) throw bad(file, `file is ${fileSize} bytes, shorter than the 8-byte header length (truncated?)`);
  const lenBuf = readPrefix(8, 0);
  const headerLen = Number(lenBuf.readBigUInt64LE(0));
  if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > fileSize) {
    throw bad(file, `header length ${headerLen} exceeds the file size ${fileSize} (truncated or not a safetensors file)`);
  }
  const text = readPrefix(headerLen, 8).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad(file, 'header is not valid JSON');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw bad(file, 'header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = fileSize - dataStart;
  const entries = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value && typeof value === 'object') metadata = value as Record<string, string>;
      continue;
    }
    const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!v || typeof v !== 'object') throw bad(file, `tensor '${name}' has no descriptor`);
    if (typeof v.dtype !== 'string') throw bad(file, `tensor '${name}' has no dtype`);
    if (!isSupportedDtype(v.dtype)) {
      throw new ModelError(
        `${file}: tensor '${name}' has dtype ${v.dtype}; sway reads F32, F16 and BF16 weights only. ` +
          'Convert the checkpoint to one of those dtypes.',
        'SWAY_SAFETENSORS_INVALID',
      );
    }
    const shape = v.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw bad(file, `tensor '${name}' has an invalid shape`);
    }
    const offs = v.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0)) {
      throw bad(file, `tensor '${name}' has invalid data_offsets`);
    }
    const [b, e] = offs as [number, number];
    if (e < b) throw bad(file, `tensor '${name}' has data_offsets [${b}, ${e}] with end before begin`);
    if (e > dataLen) {
      throw bad(file, `tensor '${name}' ends at byte ${e} of the data section but only ${dataLen} bytes exist (truncated file)`);
    }
    const numel = (shape as number[]).reduce((a, d) => a * d, 1);
    const expected = numel * DTYPE_BYTES[v.dtype];
    if (e - b !== expected) {
      throw bad(file, `tensor '${name}' spans ${e - b} bytes but shape [${shape.join(', ')}] of ${v.dtype} needs ${expected}`);
    }
    entries.set(name, { name, dtype: v.dtype, shape: shape as number[], begin: dataStart + b, end: dataStart + e });
  }
  const sorted = [...entries.values()].sort((x, y) => x.begin - y.begin);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as TensorEntry;
    const cur = sorted[i] as TensorEntry;
    if (cur.begin < prev.end) throw bad(file, `tensors '${prev.name}' and '${cur.name}' overlap`);
  }
  return { file, entries, metadata, dataStart };
}
