import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { swayJsonSchema } from '../../src/cli/commands/schema.js';

describe('sway.schema.json', () => {
  it('is not stale (regenerate with: node bin/sway.js schema -o sway.schema.json)', async () => {
    const committed = readFileSync(join(import.meta.dirname, '..', '..', 'sway.schema.json'), 'utf8');
    expect(committed).toBe(await swayJsonSchema());
  });
  it('describes the top-level keys and model kinds', async () => {
    const s = JSON.parse(await swayJsonSchema()) as { properties: Record<string, { properties?: Record<string, unknown> }>; additionalProperties: unknown };
    expect(Object.keys(s.properties).sort()).toEqual(['$schema', 'defaults', 'dlm_source', 'models', 'suite', 'version']);
    expect(s.additionalProperties).toBe(false);
    expect(JSON.stringify(s.properties['models'])).toContain('"dummy"');
  });
});
