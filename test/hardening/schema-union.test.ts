// `sway schema` describes suite entries per probe kind (issue 15 item 19): editors can
// complete and check probe fields.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { registeredKinds } from '../../src/probes/registry.js';
import { swaySpecJsonSchema } from '../../src/suite/spec-json-schema.js';

const schema = swaySpecJsonSchema();
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
const spec = (suite: string) => parse(`version: 1\nmodels:\n  base: {kind: hf, base: org/model}\n  ft: {kind: hf, base: org/model, adapter: ./a}\nsuite:\n${suite}`) as unknown;

describe('sway.schema.json suite entries', () => {
  it('has one branch per registered probe kind, keyed by a const kind', () => {
    const branches = ((schema['properties'] as Record<string, { items: { oneOf: { properties: { kind: { const: string } } }[] } }>)['suite']!.items.oneOf);
    expect(branches.map((b) => b.properties.kind.const)).toEqual(registeredKinds());
  });

  it('accepts real entries, including name: null', () => {
    const ok = validate(spec('  - {name: null, kind: null_adapter, runs: 3}\n  - {name: dk, kind: delta_kl, prompts: [a], top_k: 8}\n  - {kind: prompt_collapse, prompts: [a], context_lengths: [0, 64]}\n'));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('rejects a misspelt probe field, a wrong type and an unknown kind', () => {
    expect(validate(spec('  - {name: dk, kind: delta_kl, promts: [a]}\n'))).toBe(false);
    expect(validate(spec('  - {name: dk, kind: delta_kl, top_k: many}\n'))).toBe(false);
    expect(validate(spec('  - {name: x, kind: no_such_probe}\n'))).toBe(false);
  });
});
