/**
 * A Python-compatible JSON writer and a tolerant reader. The writer reproduces
 * `json.dumps(obj, indent=2, sort_keys=True)`: sorted keys, two-space indent, ASCII
 * escapes (`\u03c3`), float repr with `.0` for integral floats, and the bare NaN /
 * Infinity / -Infinity tokens. JS has one number type, so float-ness is type-tagged:
 * wrap a value with `pyFloat()` or list the keys of an object under FLOAT_KEYS.
 */

/** A number that must print as a Python float (`1.0`, not `1`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

export function pyFloat(v: number): PyFloat {
  return new PyFloat(v);
}

/** Non-enumerable marker on a plain object: the keys whose integral numbers are floats. */
export const FLOAT_KEYS: unique symbol = Symbol('sway.floatKeys');

type Tagged = Record<string | symbol, unknown> & { [FLOAT_KEYS]?: Set<string> };

export function markFloatKeys<T extends object>(obj: T, keys: Iterable<string>): T {
  const existing = (obj as Tagged)[FLOAT_KEYS];
  const set = existing ?? new Set<string>();
  for (const k of keys) set.add(k);
  if (!existing) Object.defineProperty(obj, FLOAT_KEYS, { value: set, enumerable: false });
  return obj;
}

/** Python repr of a float. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant = '', expText = '0'] = x.toExponential().split('e');
  const exp = Number(expText);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let out: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
    out = `${m}e${exp < 0 ? '-' : '+'}${e}`;
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    out = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  } else {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return neg ? `-${out}` : out;
}

function escapeString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i] as string;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function writeNumber(n: number, asFloat: boolean): string {
  if (!Number.isFinite(n)) return pyFloatRepr(n);
  if (!asFloat && Number.isInteger(n) && !Object.is(n, -0)) return String(n);
  return pyFloatRepr(n);
}

function write(value: unknown, indent: string, asFloat: boolean, floatAll: boolean): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof PyFloat) return pyFloatRepr(value.value);
  if (typeof value === 'number') return writeNumber(value, asFloat || floatAll);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return escapeString(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return escapeString(value.toISOString());
  if (ArrayBuffer.isView(value)) return write(Array.from(value as unknown as ArrayLike<number>), indent, asFloat, floatAll);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((v) => inner + write(v, inner, asFloat, floatAll));
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object') {
    const obj = value as Tagged;
    const floats = obj[FLOAT_KEYS];
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (keys.length === 0) return '{}';
    const items = keys.map((k) => `${inner}${escapeString(k)}: ${write(obj[k], inner, floats?.has(k) ?? false, floatAll)}`);
    return `{\n${items.join(',\n')}\n${indent}}`;
  }
  return escapeString(String(value));
}

/** Python `json.dumps(value, indent=2, sort_keys=True)`. `floatAll` prints every number as a float. */
export function dumpsPy(value: unknown, floatAll = false): string {
  return write(value, '', false, floatAll);
}

/**
 * Parses JSON that may contain the NaN / Infinity / -Infinity tokens. Numbers written
 * with a `.` or an exponent are remembered as floats (via FLOAT_KEYS on their parent
 * object) so a report re-serialises byte for byte.
 */
export function parsePyJson(text: string): unknown {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at offset ${i}`);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const value = (): { v: unknown; float: boolean } => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      const floats: string[] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { v: obj, float: false };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a string key');
        const k = str();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        const item = value();
        obj[k] = item.v;
        if (item.float) floats.push(k);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          break;
        }
        fail("expected ',' or '}'");
      }
      if (floats.length) markFloatKeys(obj, floats);
      return { v: obj, float: false };
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { v: arr, float: false };
      }
      for (;;) {
        arr.push(value().v);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          break;
        }
        fail("expected ',' or ']'");
      }
      return { v: arr, float: false };
    }
    if (c === '"') return { v: str(), float: false };
    for (const [tok, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
      ['NaN', NaN],
      ['Infinity', Infinity],
      ['-Infinity', -Infinity],
    ] as const) {
      if (text.startsWith(tok, i)) {
        i += tok.length;
        return { v, float: typeof v === 'number' };
      }
    }
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail('unexpected token');
    i += m[0].length;
    return { v: Number(m[0]), float: m[1] !== undefined || m[2] !== undefined };
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const out = value().v;
  ws();
  if (i < text.length) fail('trailing data');
  return out;
}
