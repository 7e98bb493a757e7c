/** Tool-call extraction, schema validation (ajv + Python type rules) and argument disagreement. */
import { Ajv, type ValidateFunction } from 'ajv';
import { parsePyJson } from './py-json.js';

export interface ToolCall {
  obj: Record<string, unknown>;
  floatPaths: Set<string>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
// Python's str.strip() also strips the ASCII file/group/record/unit separators.
// eslint-disable-next-line no-control-regex
const pyStrip = (s: string): string => s.replace(/^[\s\u001c-\u001f\u0085]+|[\s\u001c-\u001f\u0085]+$/gu, '');

function asCall(text: string): ToolCall | null {
  const parsed = parsePyJson(text);
  return parsed && isObject(parsed.value) ? { obj: parsed.value, floatPaths: parsed.floatPaths } : null;
}

function fencedBody(text: string): string | null {
  const start = text.indexOf('```');
  if (start < 0) return null;
  let i = start + 3;
  if (text.slice(i, i + 4).toLowerCase() === 'json') i += 4;
  if (text[i] === '\n') i++;
  const end = text.indexOf('```', i);
  return end < 0 ? null : pyStrip(text.slice(i, end));
}

function firstBalanced(text: string): string | null {
  let depth = 0;
  let start = -1;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0 && start >= 0) return text.slice(start, i + 1);
      if (depth < 0) {
        depth = 0;
        start = -1;
      }
    }
  }
  return null;
}

/** Whole text → fenced block → first balanced braces; the first JSON object wins. */
export function parseToolCall(text: string): ToolCall | null {
  const t = pyStrip(text);
  const whole = asCall(t);
  if (whole) return whole;
  const fenced = fencedBody(t);
  const f = fenced === null ? null : asCall(fenced);
  if (f) return f;
  const braces = firstBalanced(t);
  return braces === null ? null : asCall(braces);
}

const TYPE_CHECKS: Record<string, (v: unknown, isFloatLiteral: boolean) => boolean> = {
  string: (v) => typeof v === 'string',
  integer: (v, fl) => typeof v === 'number' && Number.isInteger(v) && !fl,
  number: (v) => typeof v === 'number',
  boolean: (v) => typeof v === 'boolean',
  object: (v) => isObject(v),
  array: (v) => Array.isArray(v),
};

const ajv = new Ajv({ strict: false, allErrors: false });
const compiled = new WeakMap<object, ValidateFunction | null>();

function validatorFor(parameters: Record<string, unknown>): ValidateFunction | null {
  if (!compiled.has(parameters)) {
    let fn: ValidateFunction | null = null;
    try {
      fn = ajv.compile(parameters);
    } catch {
      fn = null; // not a compilable JSON Schema: the Python type rules alone decide
    }
    compiled.set(parameters, fn);
  }
  return compiled.get(parameters)!;
}

/**
 * name is a string, arguments an object holding every required field, each typed field of
 * the right Python type (bool is not a number, `5.0` is not an integer), and the arguments
 * valid under the tool's JSON Schema (ajv) when the schema compiles.
 */
export function matchesSchema(call: ToolCall, toolSpec: Record<string, unknown>): boolean {
  const { name, arguments: args } = call.obj;
  if (typeof name !== 'string' || !isObject(args)) return false;
  const parameters = isObject(toolSpec['parameters']) ? toolSpec['parameters'] : {};
  const properties = isObject(parameters['properties']) ? parameters['properties'] : {};
  const required = Array.isArray(parameters['required']) ? parameters['required'] : [];
  if (!required.every((r) => typeof r === 'string' && r in args)) return false;
  for (const [field, value] of Object.entries(args)) {
    const prop = properties[field];
    const tag = isObject(prop) ? prop['type'] : undefined;
    const check = typeof tag === 'string' ? TYPE_CHECKS[tag] : undefined;
    if (!check) continue;
    const path = `/arguments/${field.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!check(value, call.floatPaths.has(path))) return false;
  }
  const validate = validatorFor(parameters);
  return validate === null || validate(args) === true;
}

/** Python ==: numbers and booleans compare numerically, lists element-wise, dicts by keys. */
export function pyEqual(a: unknown, b: unknown): boolean {
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : null);
  const na = num(a);
  const nb = num(b);
  if (na !== null || nb !== null) return na !== null && nb !== null && na === nb;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => pyEqual(x, b[i]));
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && pyEqual(a[k], b[k]));
  }
  return a === b;
}

function flatten(v: Record<string, unknown>, prefix: string[], out: Map<string, unknown>): void {
  for (const [k, x] of Object.entries(v)) {
    const path = [...prefix, k];
    if (isObject(x)) flatten(x, path, out);
    else out.set(JSON.stringify(path), x);
  }
}

/** Fraction of leaf paths (union of both calls) whose values differ; absent ≠ null. */
export function fieldDisagreement(baseCall: Record<string, unknown>, ftCall: Record<string, unknown>): number {
  const a = baseCall['arguments'] || {};
  const b = ftCall['arguments'] || {};
  if (!isObject(a) || !isObject(b)) return 1;
  const fa = new Map<string, unknown>();
  const fb = new Map<string, unknown>();
  flatten(a, [], fa);
  flatten(b, [], fb);
  const union = new Set([...fa.keys(), ...fb.keys()]);
  if (union.size === 0) return 0;
  let diff = 0;
  for (const p of union) if (!fa.has(p) || !fb.has(p) || !pyEqual(fa.get(p), fb.get(p))) diff++;
  return diff / union.size;
}
