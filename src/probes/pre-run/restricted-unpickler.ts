/**
 * A restricted pickle reader (protocols 2-5) for torch.save payloads. It interprets the
 * opcode stream as data only: it never imports or calls anything. Globals resolve
 * through a fixed allow-list to inert markers; any other global is refused by name.
 */
import { TrainingStateError } from './torch-zip.js';

/** A storage reference from a torch persistent id. */
export interface StorageRef {
  readonly type: 'storage';
  readonly dtype: string;
  readonly key: string;
  readonly numel: number;
}

export interface TensorRef {
  readonly type: 'tensor';
  readonly storage: StorageRef;
  readonly offset: number;
  readonly size: readonly number[];
  readonly stride: readonly number[];
}

/** An object of an allow-listed but uninterpreted class (NumPy arrays, dtypes, RNG state). */
export interface Opaque {
  readonly type: 'opaque';
  readonly global: string;
}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | Map<PickleKey, PickleValue>
  | Set<PickleKey>
  | StorageRef
  | TensorRef
  | Opaque
  | GlobalMarker;
export type PickleKey = PickleValue;

export class PickleTuple {
  constructor(readonly items: PickleValue[]) {}
}

class GlobalMarker {
  constructor(readonly name: string) {}
}

const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** Globals that are understood (constructors of data) or absorbed as inert placeholders. */
const INTERPRETED = new Set([
  'torch._utils _rebuild_tensor_v2',
  'torch._utils _rebuild_parameter',
  'collections OrderedDict',
  '_codecs encode',
  'builtins set',
  '__builtin__ set',
  'builtins frozenset',
  '__builtin__ frozenset',
  'torch device',
]);
const OPAQUE = new Set([
  'numpy.core.multiarray _reconstruct',
  'numpy._core.multiarray _reconstruct',
  'numpy.core.multiarray scalar',
  'numpy._core.multiarray scalar',
  'numpy ndarray',
  'numpy dtype',
  'torch.serialization _get_layout',
  'torch float32',
]);

function resolveGlobal(module: string, name: string): GlobalMarker {
  const full = `${module} ${name}`;
  if (module === 'torch' && name in STORAGE_DTYPES) return new GlobalMarker(full);
  if (INTERPRETED.has(full) || OPAQUE.has(full)) return new GlobalMarker(full);
  throw new TrainingStateError(
    `refusing to unpickle global '${module}.${name}': only tensors, storages and plain containers are allowed ` +
      '(the file may be malicious or not a dlm training_state.pt)',
  );
}

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

export interface UnpickleOptions {
  /** Resolves a torch persistent id ('storage', class, key, location, numel). */
  persistentLoad?: (pid: PickleValue) => PickleValue;
}

export function unpickle(data: Uint8Array, opts: UnpickleOptions = {}): PickleValue {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const memo = new Map<number, PickleValue>();
  let stack: StackItem[] = [];
  const metaStack: StackItem[][] = [];
  let pos = 0;
  const fail = (msg: string): TrainingStateError => new TrainingStateError(`pickle: ${msg} (at byte ${pos})`);
  const need = (n: number): void => {
    if (pos + n > data.length) throw fail('unexpected end of data (truncated pickle)');
  };
  const u8 = (): number => (need(1), data[pos++]!);
  const u16 = (): number => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = (): number => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fail('length too large');
    return Number(v);
  };
  const bytes = (n: number): Uint8Array => (need(n), (pos += n), data.subarray(pos - n, pos));
  const utf8 = (n: number): string => new TextDecoder('utf-8', { fatal: false }).decode(bytes(n));
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw fail('unterminated text line');
    const s = new TextDecoder('latin1').decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw fail('stack underflow');
    return v;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw fail('stack underflow');
    return v;
  };
  const popMark = (): PickleValue[] => {
    const items = stack as PickleValue[];
    const prev = metaStack.pop();
    if (!prev) throw fail('MARK expected');
    stack = prev;
    return items;
  };
  const setItems = (target: PickleValue, kv: PickleValue[]): void => {
    if (isOpaque(target)) return;
    if (!(target instanceof Map)) throw fail('SETITEM(S) on a non-dict');
    for (let i = 0; i + 1 < kv.length; i += 2) target.set(kv[i]!, kv[i + 1]!);
  };
  const appendItems = (target: PickleValue, items: PickleValue[]): void => {
    if (isOpaque(target)) return;
    if (!Array.isArray(target)) throw fail('APPEND(S) on a non-list');
    target.push(...items);
  };
  const longFromBytes = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw fail('unsupported pickle protocol');
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        metaStack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length) stack.pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(longFromBytes(bytes(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(longFromBytes(bytes(u32())));
        break;
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(u64()));
        break;
      case 0x54: // BINSTRING (py2 str)
        stack.push(new TextDecoder('latin1').decode(bytes(u32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(new TextDecoder('latin1').decode(bytes(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(bytes(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bytes(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(bytes(u64()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PickleTuple([]));
        break;
      case 0x74: {
        // TUPLE
        const items = popMark();
        stack.push(new PickleTuple(items));
        break;
      }
      case 0x85:
        stack.push(new PickleTuple([pop()]));
        break;
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push(new PickleTuple([a, b]));
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PickleTuple([a, b, c]));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: {
        // LIST
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x61: {
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        const m = new Map<PickleKey, PickleValue>();
        setItems(m, popMark());
        stack.push(m);
        break;
      }
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: {
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) throw fail('ADDITEMS on a non-set');
        for (const it of items) s.add(it);
        break;
      }
      case 0x91: {
        // FROZENSET
        const items = popMark();
        stack.push(new Set(items));
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const idx = op === 0x68 ? u8() : u32();
        if (!memo.has(idx)) throw fail(`memo key ${idx} missing`);
        stack.push(memo.get(idx)!);
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        const name = line();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw fail('STACK_GLOBAL needs two strings');
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) throw fail('persistent id without a loader');
        stack.push(opts.persistentLoad(pid));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(applyGlobal(fn, args, fail));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        stack.push(applyGlobal(cls, args, fail));
        break;
      }
      case 0x62: {
        // BUILD: state is absorbed; only placeholders, tensors and dicts accept it.
        const state = pop();
        const obj = top();
        if (obj instanceof Map && state instanceof Map) for (const [k, v] of state) obj.set(k, v);
        break;
      }
      default:
        throw fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

function isOpaque(v: PickleValue): v is Opaque {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { type?: unknown }).type === 'opaque';
}

function tupleItems(v: PickleValue): PickleValue[] | null {
  return v instanceof PickleTuple ? v.items : null;
}

function intList(v: PickleValue | undefined): number[] | null {
  const items = v instanceof PickleTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items) return null;
  const out: number[] = [];
  for (const x of items) {
    if (typeof x !== 'number' || !Number.isInteger(x)) return null;
    out.push(x);
  }
  return out;
}

function applyGlobal(fn: PickleValue, args: PickleValue, fail: (m: string) => TrainingStateError): PickleValue {
  if (!(fn instanceof GlobalMarker)) throw fail('REDUCE on something that is not an allow-listed global');
  const a = tupleItems(args) ?? [];
  switch (fn.name) {
    case 'torch._utils _rebuild_tensor_v2': {
      const [storage, offset, size, stride] = a;
      const sz = intList(size);
      const st = intList(stride);
      if (!isStorage(storage) || typeof offset !== 'number' || !sz || !st || sz.length !== st.length) {
        throw fail('malformed _rebuild_tensor_v2 arguments');
      }
      return { type: 'tensor', storage, offset, size: sz, stride: st };
    }
    case 'torch._utils _rebuild_parameter':
      return a[0] ?? null;
    case 'collections OrderedDict':
      return new Map();
    case '_codecs encode': {
      const s = a[0];
      if (typeof s !== 'string') throw fail('_codecs.encode expects a string');
      return Uint8Array.from(Array.from(s, (c) => c.codePointAt(0)! & 0xff));
    }
    case 'builtins set':
    case '__builtin__ set':
    case 'builtins frozenset':
    case '__builtin__ frozenset':
      return new Set(Array.isArray(a[0]) ? a[0] : []);
    default:
      return { type: 'opaque', global: fn.name.replace(' ', '.') };
  }
}

function isStorage(v: PickleValue | undefined): v is StorageRef {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'storage';
}

/** Maps a torch storage class marker (from a persistent id) to its dtype name. */
export function storageDtype(v: PickleValue | undefined): string | null {
  if (!(v instanceof GlobalMarker)) return null;
  const [module, name] = v.name.split(' ');
  return module === 'torch' && name !== undefined ? (STORAGE_DTYPES[name] ?? null) : null;
}
