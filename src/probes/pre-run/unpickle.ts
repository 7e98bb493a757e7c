/**
 * A restricted unpickler for torch.save checkpoints. It builds only plain data: numbers,
 * strings, bytes, lists, tuples, dicts (as Map, so integer keys stay integers), sets,
 * tensors backed by the archive's storages. It never imports or calls anything: a
 * GLOBAL outside a short allow-list is refused by name, before any REDUCE runs.
 */

export class UnpickleError extends Error {}

export interface TensorRef {
  __tensor: true;
  dtype: string;
  shape: number[];
  stride: number[];
  offset: number;
  storageKey: string;
  /** Elements the storage declares (torch's persistent id carries it); null when absent. */
  storageNumel: number | null;
}

export interface Opaque {
  __opaque: string;
}

type Value = unknown;

/** Globals we understand. Opaque ones (RNG states, numpy scalars) become inert placeholders. */
const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: 'f32',
  DoubleStorage: 'f64',
  HalfStorage: 'f16',
  BFloat16Storage: 'bf16',
  LongStorage: 'i64',
  IntStorage: 'i32',
  ShortStorage: 'i16',
  CharStorage: 'i8',
  ByteStorage: 'u8',
  BoolStorage: 'bool',
};
const OPAQUE_GLOBALS = new Set(['numpy.core.multiarray._reconstruct', 'numpy._core.multiarray._reconstruct', 'numpy.ndarray', 'numpy.dtype', 'numpy.core.multiarray.scalar', 'numpy._core.multiarray.scalar', 'torch.device', 'torch._utils._rebuild_parameter', 'builtins.set', 'builtins.frozenset']);

class Global {
  constructor(readonly name: string) {}
}
const MARK = Symbol('mark');

function callGlobal(fn: Value, args: Value[]): Value {
  if (!(fn instanceof Global)) throw new UnpickleError('REDUCE on something that is not an allowed global');
  switch (fn.name) {
    case 'torch._utils._rebuild_tensor_v2':
    case 'torch._utils._rebuild_tensor': {
      const [storage, offset, size, stride] = args as [{ key: string; dtype: string; numel: number | null }, number, number[], number[]];
      if (!storage || typeof storage !== 'object' || !('key' in storage)) throw new UnpickleError('tensor without a storage');
      const ints = (xs: unknown) => Array.isArray(xs) && xs.every((x) => Number.isSafeInteger(x) && (x as number) >= 0);
      if (!ints(size) || !ints(stride) || size.length !== stride.length || !Number.isSafeInteger(offset) || offset < 0) {
        throw new UnpickleError(`tensor over storage ${storage.key} has an invalid shape, stride or offset`);
      }
      return { __tensor: true, dtype: storage.dtype, shape: [...size], stride: [...stride], offset, storageKey: storage.key, storageNumel: storage.numel } satisfies TensorRef;
    }
    case 'torch._utils._rebuild_parameter':
      return args[0];
    case 'collections.OrderedDict':
      return new Map();
    case 'torch.torch_version.TorchVersion':
      return typeof args[0] === 'string' ? args[0] : { __opaque: fn.name };
    case 'builtins.set':
    case 'builtins.frozenset':
      return new Set(Array.isArray(args[0]) ? args[0] : []);
    default:
      return { __opaque: fn.name } satisfies Opaque;
  }
}

function allowGlobal(module: string, name: string): Global {
  const full = `${module}.${name}`;
  if (full === 'torch._utils._rebuild_tensor_v2' || full === 'torch._utils._rebuild_tensor' || full === 'collections.OrderedDict' || full === 'torch.torch_version.TorchVersion' || OPAQUE_GLOBALS.has(full)) return new Global(full);
  if (module === 'torch' && name in STORAGE_DTYPES) return new Global(full);
  if (module === 'torch' && /^(float|bfloat16|half|int64|long|float32)$/.test(name)) return new Global(full);
  throw new UnpickleError(`refusing to load global '${full}': training_state.pt may only contain tensors and plain data`);
}

export function unpickle(data: Buffer): Value {
  const stack: Value[] = [];
  const memo = new Map<number, Value>();
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > data.length) throw new UnpickleError('pickle stream ends early (truncated)');
  };
  const u8 = () => (need(1), data[pos++] as number);
  const u16 = () => (need(2), (pos += 2), data.readUInt16LE(pos - 2));
  const u32 = () => (need(4), (pos += 4), data.readUInt32LE(pos - 4));
  const i32 = () => (need(4), (pos += 4), data.readInt32LE(pos - 4));
  const bytes = (n: number) => (need(n), (pos += n), data.subarray(pos - n, pos));
  const line = () => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw new UnpickleError('unterminated text opcode');
    const s = data.toString('utf8', pos, end);
    pos = end + 1;
    return s;
  };
  const popMark = (): Value[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new UnpickleError('MARK not found');
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const top = () => {
    if (!stack.length) throw new UnpickleError('stack underflow');
    return stack[stack.length - 1];
  };
  const pop = () => {
    if (!stack.length) throw new UnpickleError('stack underflow');
    return stack.pop();
  };
  const setItem = (d: Value, k: Value, v: Value) => {
    if (d instanceof Map) d.set(k, v);
    else throw new UnpickleError('SETITEM on a non-dict');
  };
  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: bytes(8); break; // FRAME
      case 0x2e: return pop(); // STOP
      case 0x28: stack.push(MARK); break;
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x8a: case 0x8b: { // LONG1 / LONG4
        const n = op === 0x8a ? u8() : u32();
        const b = bytes(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
        if (n > 0 && ((b[n - 1] as number) & 0x80)) v -= 1n << BigInt(8 * n);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: need(8); stack.push(data.readDoubleBE(pos)); pos += 8; break; // BINFLOAT
      case 0x58: stack.push(bytes(u32()).toString('utf8')); break; // BINUNICODE
      case 0x8c: stack.push(bytes(u8()).toString('utf8')); break; // SHORT_BINUNICODE
      case 0x8d: { need(8); const n = Number(data.readBigUInt64LE(pos)); pos += 8; stack.push(bytes(n).toString('utf8')); break; }
      case 0x43: stack.push(Buffer.from(bytes(u8()))); break; // SHORT_BINBYTES
      case 0x42: stack.push(Buffer.from(bytes(u32()))); break; // BINBYTES
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break; }
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; }
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x61: { const v = pop(); (top() as Value[]).push(v); break; } // APPEND
      case 0x65: { const items = popMark(); (top() as Value[]).push(...items); break; } // APPENDS
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { const items = popMark(); const m = new Map(); for (let i = 0; i + 1 < items.length; i += 2) m.set(items[i], items[i + 1]); stack.push(m); break; }
      case 0x73: { const v = pop(); const k = pop(); setItem(top(), k, v); break; } // SETITEM
      case 0x75: { const items = popMark(); const d = top(); for (let i = 0; i + 1 < items.length; i += 2) setItem(d, items[i], items[i + 1]); break; }
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x90: { const items = popMark(); const s = top(); if (s instanceof Set) for (const x of items) s.add(x); break; } // ADDITEMS
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: { const k = u8(); if (!memo.has(k)) throw new UnpickleError(`memo ${k} missing`); stack.push(memo.get(k)); break; }
      case 0x6a: { const k = u32(); if (!memo.has(k)) throw new UnpickleError(`memo ${k} missing`); stack.push(memo.get(k)); break; }
      case 0x63: { const module = line(); const name = line(); stack.push(allowGlobal(module, name)); break; } // GLOBAL
      case 0x93: { const name = pop(); const module = pop(); stack.push(allowGlobal(String(module), String(name))); break; } // STACK_GLOBAL
      case 0x52: { const args = pop(); const fn = pop(); stack.push(callGlobal(fn, Array.isArray(args) ? args : [])); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); stack.push(callGlobal(cls, Array.isArray(args) ? args : [])); break; } // NEWOBJ
      case 0x62: pop(); break; // BUILD: state is dropped (only opaque objects get one)
      case 0x51: { // BINPERSID
        const pid = pop() as Value[];
        if (!Array.isArray(pid) || pid[0] !== 'storage') throw new UnpickleError('unsupported persistent id');
        const cls = pid[1];
        const storageName = cls instanceof Global ? cls.name.replace(/^torch\./, '') : String(cls);
        const dtype = STORAGE_DTYPES[storageName];
        if (!dtype) throw new UnpickleError(`unsupported storage type ${storageName}`);
        const numel = pid[4];
        stack.push({ key: String(pid[2]), dtype, numel: Number.isSafeInteger(numel) && (numel as number) >= 0 ? (numel as number) : null });
        break;
      }
      default:
        throw new UnpickleError(`unsupported or unsafe pickle opcode 0x${op.toString(16)} at byte ${pos - 1}`);
    }
  }
}
