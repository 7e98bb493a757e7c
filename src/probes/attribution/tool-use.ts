/** Tool-call parsing and checking for tool_use_fidelity (OpenAI function-calling shape). */
import { Ajv } from 'ajv';

export interface ToolCall {
  name: unknown;
  arguments: unknown;
}

function tryObject(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The whole text as JSON, else the first ``` fenced body, else the first balanced {...}. */
export function parseToolCall(raw: string): ToolCall | null {
  const text = raw.trim();
  const whole = tryObject(text);
  if (whole) return whole as unknown as ToolCall;
  const fence = text.indexOf('```');
  if (fence >= 0) {
    let start = fence + 3;
    if (text.slice(start, start + 4).toLowerCase() === 'json') start += 4;
    if (text[start] === '\n') start++;
    const end = text.indexOf('```', start);
    if (end >= 0) {
      const body = tryObject(text.slice(start, end).trim());
      if (body) return body as unknown as ToolCall;
    }
  }
  let depth = 0;
  let begin = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) begin = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0 && begin >= 0) {
        const obj = tryObject(text.slice(begin, i + 1));
        return obj ? (obj as unknown as ToolCall) : null;
      }
      if (depth < 0) {
        depth = 0;
        begin = -1;
      }
    }
  }
  return null;
}

const ajv = new Ajv({ strict: false, allErrors: false });

/**
 * `name` is a string, `arguments` an object that satisfies the tool's `parameters` JSON
 * Schema (required fields, property types, and whatever else the schema states), checked
 * with ajv. Extra arguments are allowed unless the schema forbids them.
 */
export function matchesSchema(call: ToolCall | null, toolSpec: Record<string, unknown>): boolean {
  if (!call || typeof call.name !== 'string' || !call.arguments || typeof call.arguments !== 'object' || Array.isArray(call.arguments)) return false;
  const params = (toolSpec['parameters'] as Record<string, unknown> | undefined) ?? {};
  try {
    return ajv.validate({ type: 'object', ...params }, call.arguments) as boolean;
  } catch {
    return false;
  }
}

function flatten(v: unknown, prefix: string, out: Map<string, unknown>): void {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, v);
}

/** Share of argument paths (union over both calls) whose values differ. */
export function fieldDisagreement(a: ToolCall, b: ToolCall): number {
  const x = a.arguments || {};
  const y = b.arguments || {};
  if (typeof x !== 'object' || typeof y !== 'object' || Array.isArray(x) || Array.isArray(y)) return 1;
  const fa = new Map<string, unknown>();
  const fb = new Map<string, unknown>();
  flatten(x, '', fa);
  flatten(y, '', fb);
  fa.delete('');
  fb.delete('');
  const keys = new Set([...fa.keys(), ...fb.keys()]);
  if (!keys.size) return 0;
  let diff = 0;
  for (const k of keys) if (!fa.has(k) || !fb.has(k) || JSON.stringify(fa.get(k)) !== JSON.stringify(fb.get(k))) diff++;
  return diff / keys.size;
}
