import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { swaySpecJsonSchema } from '../../src/suite/spec-json-schema.js';

describe('sway.schema.json', () => {
  it('is generated from the zod schemas and not stale (regenerate with `sway schema -o sway.schema.json`)', () => {
    const file = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../sway.schema.json'), 'utf8'));
    expect(file).toEqual(swaySpecJsonSchema());
    expect(Object.keys(file.properties)).toEqual(expect.arrayContaining(['version', 'models', 'defaults', 'suite', 'dlm_source']));
  });
});
