/**
 * The JSON Schema of sway.yaml that `sway schema` prints: the spec schema from core, with
 * `suite` entries as a union discriminated by `kind`, one branch per registered probe,
 * each generated from that probe's own zod schema — so editors complete and check probe
 * fields. (core cannot see the probes; this layer can.)
 */
import { z } from 'zod';
import { SwaySpecSchema } from '../core/schema.js';
import { allProbes } from '../probes/registry.js';

type Json = Record<string, unknown>;

function probeEntrySchema(kind: string, summary: string, schema: z.ZodType): Json {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  delete s['$schema'];
  const props = (s['properties'] ?? {}) as Record<string, Json>;
  // The loader accepts a missing or null name (the entry is named after its kind).
  if (props['name']) props['name'] = { anyOf: [props['name'], { type: 'null' }], description: 'label in reports; defaults to the kind' };
  const required = ((s['required'] as string[] | undefined) ?? []).filter((k) => k !== 'name');
  return { title: kind, description: summary, ...s, required: [...new Set(['kind', ...required])] };
}

export function swaySpecJsonSchema(): Json {
  const root = z.toJSONSchema(SwaySpecSchema, { io: 'input' }) as Json;
  const props = root['properties'] as Record<string, Json>;
  const entries = allProbes()
    .slice()
    .sort((a, b) => a.kind.localeCompare(b.kind))
    .map((p) => probeEntrySchema(p.kind, p.summary, p.schema));
  props['suite'] = { ...props['suite'], description: 'probes, run in order; each entry is one probe kind with its fields', items: { oneOf: entries } };
  return root;
}
