import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSpecProbes } from '../../src/suite/execute.js';
import { loadSpecFile } from '../../src/suite/loader.js';

const root = join(import.meta.dirname, '..', '..', 'examples');

describe('example specs load and every probe entry validates, with spec-relative paths', () => {
  for (const name of ['starter', 'precommit-example', 'tiny']) {
    it(name, async () => {
      const spec = await loadSpecFile(join(root, name, 'sway.yaml'));
      expect(spec.version).toBe(1);
      await validateSpecProbes(spec);
      expect(spec.suite.length).toBeGreaterThan(0);
      expect(spec.models.ft.adapter?.startsWith(join(root, name))).toBe(true);
    });
  }
});
