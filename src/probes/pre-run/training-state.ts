/**
 * Reads dlm's training_state.pt (a torch.save zip archive) without PyTorch: the restricted
 * unpickler builds plain data and tensor references, and the per-parameter Adam moments
 * are summarised straight from the storage bytes. Hostile files cost bounded memory: the
 * pickle and every storage are size-checked against their declared sizes and the limits
 * below before anything is inflated, and tensors are reduced without copying them.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MissingTrainingStateError, SwayError } from '../../core/errors.js';
import { f16Value } from '../../core/float16.js';
import { unpickle, UnpickleError, type TensorRef } from './unpickle.js';
import { readZip, ZipError } from './zip.js';

export class TrainingStateError extends SwayError {
  constructor(message: string) {
    super(message, 'SWAY_TRAINING_STATE', 2);
  }
}

export interface ParamMoments {
  id: number;
  step: number;
  expAvgNorm: number;
  expAvgSqMean: number;
  numel: number;
}

export interface TrainingState {
  globalStep: number;
  epoch: number;
  bestValLoss: number;
  useQlora: boolean;
  params: ParamMoments[];
}

export interface TrainingStateLimits {
  /** data.pkl, inflated. */
  maxPickleBytes: number;
  /** One storage, inflated. */
  maxStorageBytes: number;
  /** All storages read, together. */
  maxTotalBytes: number;
}

export const DEFAULT_TRAINING_STATE_LIMITS: TrainingStateLimits = {
  maxPickleBytes: 64 * 1024 * 1024,
  maxStorageBytes: 256 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
};

const BYTES: Record<string, number> = { f32: 4, f64: 8, f16: 2, bf16: 2, i64: 8, i32: 4, i16: 2, i8: 1, u8: 1, bool: 1 };

/** Calls `visit` with each element of the tensor (honouring size, stride and offset) as a number. */
export function forEachTensorValue(t: TensorRef, storages: (key: string) => Buffer, visit: (v: number) => void): number {
  const buf = storages(t.storageKey);
  const width = BYTES[t.dtype] ?? 4;
  const numel = t.shape.reduce((a, b) => a * b, 1);
  // Every element must lie inside the storage: this also bounds the loop by the storage size.
  const last = t.shape.reduce((acc, n, d) => acc + (n > 0 ? (n - 1) * (t.stride[d] as number) : 0), t.offset);
  if (numel > 0 && ((last + 1) * width > buf.length || numel * width > buf.length)) {
    throw new TrainingStateError(`tensor of shape [${t.shape.join(', ')}] in storage ${t.storageKey} reads past its storage (corrupt file)`);
  }
  const idx = new Array<number>(t.shape.length).fill(0);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let n = 0; n < numel; n++) {
    let off = t.offset;
    for (let d = 0; d < idx.length; d++) off += (idx[d] as number) * (t.stride[d] as number);
    const at = off * width;
    if (at + width > buf.length) throw new TrainingStateError(`tensor in storage ${t.storageKey} reads past its storage (corrupt file)`);
    let v: number;
    switch (t.dtype) {
      case 'f32': v = buf.readFloatLE(at); break;
      case 'f64': v = buf.readDoubleLE(at); break;
      case 'f16': v = f16Value(buf.readUInt16LE(at)); break;
      case 'bf16': u32[0] = buf.readUInt16LE(at) << 16; v = f32[0] as number; break;
      case 'i64': v = Number(buf.readBigInt64LE(at)); break;
      case 'i32': v = buf.readInt32LE(at); break;
      case 'i16': v = buf.readInt16LE(at); break;
      case 'i8': v = buf.readInt8(at); break;
      default: v = buf[at] as number;
    }
    visit(v);
    for (let d = idx.length - 1; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      if ((idx[d] as number) < (t.shape[d] as number)) break;
      idx[d] = 0;
    }
  }
  return numel;
}

/** The tensor's elements as float64 (small tensors; large ones go through forEachTensorValue). */
export function tensorValues(t: TensorRef, storages: (key: string) => Buffer): Float64Array {
  const out: number[] = [];
  forEachTensorValue(t, storages, (v) => out.push(v));
  return Float64Array.from(out);
}

/** Storage key -> declared byte size, from every tensor reachable in the unpickled tree. */
function collectStorages(v: unknown, out: Map<string, number | null>, depth = 0): void {
  if (depth > 64) return;
  if (isTensor(v)) {
    const width = BYTES[v.dtype] ?? 4;
    out.set(v.storageKey, v.storageNumel === null ? null : v.storageNumel * width);
  } else if (v instanceof Map) {
    for (const x of v.values()) collectStorages(x, out, depth + 1);
  } else if (Array.isArray(v)) {
    for (const x of v) collectStorages(x, out, depth + 1);
  }
}

const isTensor = (v: unknown): v is TensorRef => Boolean(v && typeof v === 'object' && (v as TensorRef).__tensor);
const typeName = (v: unknown) => (v instanceof Map ? 'dict' : Array.isArray(v) ? 'list' : v === null ? 'NoneType' : typeof v);

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;

export function loadTrainingState(dir: string, limits: TrainingStateLimits = DEFAULT_TRAINING_STATE_LIMITS): TrainingState {
  const path = join(dir, 'training_state.pt');
  if (!existsSync(path)) throw new MissingTrainingStateError(dir);
  let root: unknown;
  let storages: (key: string) => Buffer;
  const declaredStorageBytes = new Map<string, number | null>();
  const st = statSync(path);
  if (!st.isFile()) throw new TrainingStateError(`${path} is not a file`);
  const fileBytes = st.size;
  if (fileBytes > limits.maxTotalBytes + limits.maxPickleBytes) throw new TrainingStateError(`${path}: the file is ${mib(fileBytes)}, over the ${mib(limits.maxTotalBytes + limits.maxPickleBytes)} a training state may take`);
  try {
    const zip = readZip(readFileSync(path));
    const pkl = [...zip.keys()].find((k) => k.endsWith('/data.pkl') || k === 'data.pkl');
    if (!pkl) throw new ZipError('no data.pkl entry (not a torch.save archive)');
    const prefix = pkl.slice(0, -'data.pkl'.length);
    const pklEntry = zip.get(pkl)!;
    if (pklEntry.size > limits.maxPickleBytes) throw new ZipError(`${pkl} declares ${pklEntry.size} bytes, over the ${mib(limits.maxPickleBytes)} limit for a training state's pickle`);
    root = unpickle(pklEntry.read());
    collectStorages(root, declaredStorageBytes);
    const cache = new Map<string, Buffer>();
    let total = 0;
    storages = (key) => {
      let b = cache.get(key);
      if (!b) {
        const name = `${prefix}data/${key}`;
        const e = zip.get(name);
        if (!e) throw new TrainingStateError(`${path}: storage data/${key} is missing from the archive`);
        const declared = declaredStorageBytes.get(key);
        if (declared !== undefined && declared !== null && e.size !== declared) {
          throw new TrainingStateError(`${path}: storage data/${key} holds ${e.size} bytes but the pickle declares ${declared} (corrupt or hostile file); refusing to read it`);
        }
        if (e.size > limits.maxStorageBytes) throw new TrainingStateError(`${path}: storage data/${key} is ${e.size} bytes, over the ${mib(limits.maxStorageBytes)} per-storage limit`);
        total += e.size;
        if (total > limits.maxTotalBytes) throw new TrainingStateError(`${path}: storages add up to more than the ${mib(limits.maxTotalBytes)} limit`);
        try {
          b = e.read();
        } catch (err) {
          throw new TrainingStateError(`failed to load ${path}: ${(err as Error).message}`);
        }
        cache.set(key, b);
      }
      return b;
    };
  } catch (err) {
    if (err instanceof ZipError || err instanceof UnpickleError) throw new TrainingStateError(`failed to load ${path}: ${err.message}`);
    throw err;
  }

  if (!(root instanceof Map)) throw new TrainingStateError(`${path}: expected dict, got ${typeName(root)}`);
  const opt = root.get('optimizer_state_dict');
  if (!(opt instanceof Map)) throw new TrainingStateError(`${path}: missing 'optimizer_state_dict' (got ${typeName(opt)})`);
  const state = opt.get('state');
  if (!(state instanceof Map)) throw new TrainingStateError(`${path}: optimizer_state_dict.state is not a dict (got ${typeName(state)})`);
  const params: ParamMoments[] = [];
  for (const [k, v] of state) {
    if (typeof k !== 'number' || !Number.isInteger(k)) throw new TrainingStateError(`${path}: optimizer_state_dict.state has non-int key ${JSON.stringify(k)} (type ${typeName(k)})`);
    if (!(v instanceof Map)) continue;
    const step = v.get('step');
    const ea = v.get('exp_avg');
    const eas = v.get('exp_avg_sq');
    const stepN = isTensor(step) ? (tensorValues(step, storages)[0] ?? 0) : typeof step === 'number' ? step : 0;
    let norm = 0;
    let sqMean = 0;
    let numel = 0;
    if (isTensor(ea)) {
      let sumSq = 0;
      numel = forEachTensorValue(ea, storages, (x) => (sumSq += x * x));
      norm = Math.sqrt(sumSq);
    }
    if (isTensor(eas)) {
      let sum = 0;
      const n = forEachTensorValue(eas, storages, (x) => (sum += x));
      sqMean = n ? sum / n : 0;
      numel ||= n;
    }
    params.push({ id: k, step: Math.trunc(stepN) || 0, expAvgNorm: norm, expAvgSqMean: sqMean, numel });
  }
  params.sort((a, b) => a.id - b.id);
  const num = (x: unknown) => (typeof x === 'number' ? x : 0);
  return { globalStep: Math.trunc(num(root.get('global_step'))), epoch: num(root.get('epoch')), bestValLoss: num(root.get('best_val_loss')), useQlora: root.get('use_qlora') === true, params };
}
