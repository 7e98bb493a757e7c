import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SpecValidationError, isSwayError } from '../../src/core/errors.js';
import { loadSpecFile, loadSpecText } from '../../src/suite/loader.js';
import { yamlLevelCases } from './malformed-specs.js';

const cases = yamlLevelCases();
const dir = mkdtempSync(join(tmpdir(), 'sway-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function expectClean(p: Promise<unknown>, expectText: string): Promise<void> {
  let err: unknown = null;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, 'must throw').not.toBeNull();
  expect(isSwayError(err), String(err)).toBe(true);
  const e = err as SpecValidationError;
  expect(e).toBeInstanceOf(SpecValidationError);
  expect(e.exitCode).toBe(2);
  expect(e.message).toMatch(/^sway\.yaml: /);
  expect(e.message).not.toMatch(/\n\s+at /);
  if (expectText) expect(e.message).toContain(expectText);
}

describe('loader rejects malformed specs cleanly', () => {
  it(`has a large corpus (${cases.length} YAML-level cases)`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(120);
  });
  for (const c of cases) {
    it(c.label, async () => {
      await expectClean(loadSpecText(c.text, 'sway.yaml'), c.expect);
    });
  }
  it('YAML errors carry line and column', async () => {
    await expect(loadSpecText('version: 1\nmodels:\n  base: [1, 2\n', 'sway.yaml')).rejects.toThrow(/line \d+, col \d+/);
  });
  it('file-level failures: missing, directory, invalid UTF-8, oversize, BOM-only', async () => {
    await expect(loadSpecFile(join(dir, 'nope.yaml'))).rejects.toThrow(SpecValidationError);
    await expect(loadSpecFile(join(dir, 'nope.yaml'))).rejects.toThrow(/spec file not found: .*nope\.yaml/);
    await expect(loadSpecFile(dir)).rejects.toThrow(/is a directory/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
    await expect(loadSpecFile(bad)).rejects.toThrow(/not valid UTF-8/);
    const big = join(dir, 'big.yaml');
    writeFileSync(big, 'a'.repeat(5 * 1024 * 1024));
    await expect(loadSpecFile(big)).rejects.toThrow(/limit/);
    const bom = join(dir, 'bom.yaml');
    writeFileSync(bom, '\ufeff');
    await expect(loadSpecFile(bom)).rejects.toThrow(/must be a mapping/);
  });
});
