/**
 * Reads the body of POST /run and /score: JSON `{spec, spec_path?, probe_names?}` (spec =
 * the sway.yaml as an object or as YAML text) or, for /run, the raw YAML with a YAML
 * content type and `spec_path` in the query. Every problem is a 400-class SwayError
 * that says what shape was expected.
 */
import type { Context } from 'hono';
import { parse } from 'yaml';
import { z } from 'zod';
import { SwayError } from '../core/errors.js';

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'text/plain'];

const Body = z
  .object({
    spec: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
    spec_path: z.string().min(1).optional(),
    probe_names: z.array(z.string().min(1)).nullable().optional(),
  })
  .strict();

export interface SpecRequest {
  specText: string;
  specPath: string;
  probeNames: string[] | null;
}

function userError(message: string): SwayError {
  return new SwayError(message, 'SWAY_SERVE', 2);
}

export async function readSpecRequest(c: Context, route: '/run' | '/score'): Promise<SpecRequest> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (route === '/run' && YAML_TYPES.includes(type)) {
    const text = await c.req.text();
    if (text.trim() === '') throw userError('request body is empty; send the sway.yaml text as the body');
    return { specText: text, specPath: c.req.query('spec_path') ?? '<serve>', probeNames: null };
  }
  if (type !== 'application/json') {
    const yamlHint = route === '/run' ? ' or the YAML text with Content-Type: application/yaml' : '';
    throw userError(`unsupported Content-Type '${type || '(none)'}' for POST ${route}; send application/json {"spec": {...}}${yamlHint}`);
  }
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch (err) {
    throw userError(`request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = Body.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    throw userError(
      `invalid ${route} body — ${issues}. Expected {"spec": <sway.yaml as object or text>, "spec_path"?: string` +
        `${route === '/score' ? ', "probe_names"?: [string]' : ''}}`,
    );
  }
  const { spec, spec_path, probe_names } = parsed.data;
  if (route === '/run' && probe_names !== undefined) throw userError('probe_names is only accepted by POST /score');
  return {
    specText: typeof spec === 'string' ? spec : JSON.stringify(spec),
    specPath: spec_path ?? (route === '/score' ? '<serve:/score>' : '<serve>'),
    probeNames: probe_names ?? null,
  };
}

/**
 * Keeps only the suite entries named in `names` (as JSON text the spec loader reads).
 * Names that match no entry are an error listing the available ones.
 */
export function filterSuiteEntries(specText: string, names: readonly string[], specPath: string): string {
  let doc: unknown;
  try {
    doc = parse(specText);
  } catch (err) {
    throw new SwayError(`${specPath}: invalid YAML: ${err instanceof Error ? err.message : String(err)}`, 'SWAY_SPEC_INVALID');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new SwayError(`${specPath}: top-level document must be a mapping`, 'SWAY_SPEC_INVALID');
  }
  const suite = (doc as { suite?: unknown }).suite;
  const entries = Array.isArray(suite) ? (suite as Record<string, unknown>[]) : [];
  const available = entries.map((e) => String(e?.['name'] ?? ''));
  const unknown = names.filter((n) => !available.includes(n));
  if (unknown.length > 0) {
    throw userError(`probe_names not in the spec: [${unknown.join(', ')}]; available: [${available.join(', ')}]`);
  }
  const wanted = new Set(names);
  return JSON.stringify({ ...doc, suite: entries.filter((e) => wanted.has(String(e?.['name'] ?? ''))) });
}
