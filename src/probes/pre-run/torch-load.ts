/** torch.save archive → plain values: restricted unpickling plus typed storage decoding. */
import { readFileSync } from 'node:fs';
import { TrainingStateError, ZipArchive } from './torch-zip.js';
import { PickleTuple, storageDtype, unpickle, type PickleValue, type StorageRef, type TensorRef } from './restricted-unpickler.js';

const BYTES_PER: Record<string, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export interface TorchArchive {
  root: PickleValue;
  storages: Map<string, Uint8Array>;
}

/** Loads a torch.save ZIP archive without executing anything. Throws TrainingStateError. */
export function torchLoad(path: string): TorchArchive {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new TrainingStateError(`failed to read ${path}: ${(err as Error).message}`);
  }
  const zip = new ZipArchive(buf, path);
  const pkl = zip.names().find((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (!pkl) throw new TrainingStateError(`${path}: no data.pkl entry — not a torch.save archive (torch ≥ 1.6 ZIP format expected)`);
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  const storages = new Map<string, Uint8Array>();
  const persistentLoad = (pid: PickleValue): PickleValue => {
    const items = pid instanceof PickleTuple ? pid.items : null;
    if (!items || items[0] !== 'storage' || items.length < 5) {
      throw new TrainingStateError(`${path}: unsupported persistent id (expected ('storage', type, key, location, numel))`);
    }
    const dtype = storageDtype(items[1]);
    const key = items[2];
    const numel = items[4];
    if (!dtype || typeof key !== 'string' || typeof numel !== 'number') {
      throw new TrainingStateError(`${path}: malformed storage persistent id`);
    }
    if (!storages.has(key)) storages.set(key, zip.read(`${prefix}data/${key}`));
    const ref: StorageRef = { type: 'storage', dtype, key, numel };
    return ref;
  };
  try {
    return { root: unpickle(zip.read(pkl), { persistentLoad }), storages };
  } catch (err) {
    if (err instanceof TrainingStateError) throw new TrainingStateError(`failed to load ${path}: ${err.message}`);
    throw err;
  }
}

export function isTensor(v: unknown): v is TensorRef {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'tensor';
}

function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const scratch = new DataView(new ArrayBuffer(4));
function bf16(h: number): number {
  scratch.setUint32(0, h << 16, true);
  return scratch.getFloat32(0, true);
}

/** Elements of a tensor view in row-major order, as float64 (honours offset/size/stride). */
export function tensorValues(t: TensorRef, archive: TorchArchive): Float64Array {
  const raw = archive.storages.get(t.storage.key);
  const width = BYTES_PER[t.storage.dtype];
  if (!raw || width === undefined) throw new TrainingStateError(`tensor storage '${t.storage.key}' is missing`);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const numel = t.size.reduce((a, b) => a * b, 1);
  const out = new Float64Array(numel);
  const idx = new Array<number>(t.size.length).fill(0);
  for (let n = 0; n < numel; n++) {
    let el = t.offset;
    for (let d = 0; d < idx.length; d++) el += idx[d]! * t.stride[d]!;
    const at = el * width;
    if (at + width > raw.byteLength) throw new TrainingStateError(`tensor view runs past its storage '${t.storage.key}'`);
    out[n] = readElement(dv, at, t.storage.dtype);
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < t.size[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

function readElement(dv: DataView, at: number, dtype: string): number {
  switch (dtype) {
    case 'float32':
      return dv.getFloat32(at, true);
    case 'float64':
      return dv.getFloat64(at, true);
    case 'float16':
      return f16(dv.getUint16(at, true));
    case 'bfloat16':
      return bf16(dv.getUint16(at, true));
    case 'int64':
      return Number(dv.getBigInt64(at, true));
    case 'int32':
      return dv.getInt32(at, true);
    case 'int16':
      return dv.getInt16(at, true);
    case 'int8':
      return dv.getInt8(at);
    default:
      return dv.getUint8(at);
  }
}
