/**
 * JSON text the way the reference writes it (Python `json.dumps(indent=2, sort_keys=True)`):
 * keys sorted at every level, floats in Python repr (`1.0`, `1e-05`), ints for known integer
 * keys, non-ASCII escaped as \uXXXX, NaN/Infinity as bare tokens.
 */

/** Keys whose numeric values are integers in the reference's report. */
const INT_KEYS = new Set([
  'seed',
  'schema_version',
  'num_prompts',
  'num_sections',
  'runs',
  'seed_base',
  'top_k',
  'cache_hits',
  'cache_misses',
  'forward_passes',
  'batches_sent',
  'batched_prompts',
  'max_batch_size',
  'num_tokens',
  'num_clusters',
  'num_cases',
]);

export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  if (exp >= -4 && exp < 16) {
    let s: string;
    if (exp >= 0) {
      const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
      const frac = digits.slice(exp + 1);
      s = `${intPart}.${frac || '0'}`;
    } else {
      s = `0.${'0'.repeat(-exp - 1)}${digits}`;
    }
    return neg ? `-${s}` : s;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = `${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return `${neg ? '-' : ''}${m}e${e}`;
}

function escapeString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || (c > 0x7e && c <= 0xffff)) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else if (c > 0xffff) {
      const v = c - 0x10000;
      out += `\\u${(0xd800 + (v >> 10)).toString(16)}\\u${(0xdc00 + (v & 0x3ff)).toString(16)}`;
    } else out += ch;
  }
  return `${out}"`;
}

function encode(v: unknown, indent: string, key: string | null): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return key !== null && INT_KEYS.has(key) && Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  if (typeof v === 'string') return escapeString(v);
  if (v instanceof Date) return escapeString(v.toISOString());
  const next = `${indent}  `;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const arr = Array.from(v as ArrayLike<unknown>);
    if (arr.length === 0) return '[]';
    return `[\n${arr.map((x) => next + encode(x, next, key)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.keys(v as object)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort();
  if (entries.length === 0) return '{}';
  return `{\n${entries.map((k) => `${next}${escapeString(k)}: ${encode((v as Record<string, unknown>)[k], next, k)}`).join(',\n')}\n${indent}}`;
}

export function pyJsonDumps(v: unknown): string {
  return encode(v, '', null);
}

/** Parses JSON that may contain the bare NaN / Infinity tokens Python writes. */
export function parsePyJson(text: string): unknown {
  const fixed = text.replace(/("(?:[^"\\]|\\.)*")|\b(-?Infinity|NaN)\b/g, (m, str: string | undefined, tok: string | undefined) =>
    str !== undefined ? str : `{"__pyfloat__":"${tok}"}`,
  );
  return JSON.parse(fixed, (_k, val: unknown) => {
    if (val && typeof val === 'object' && '__pyfloat__' in (val as Record<string, unknown>)) {
      const t = (val as Record<string, string>)['__pyfloat__'];
      return t === 'NaN' ? NaN : t === 'Infinity' ? Infinity : -Infinity;
    }
    return val;
  });
}
