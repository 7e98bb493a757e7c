import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SpecValidationError, isSwayError } from '../../src/core/errors.js';
import { loadSpecFile, loadSpecText } from '../../src/suite/loader.js';
import { oddButValidYaml, schemaLevelCases, yamlLevelCases } from './malformed-specs.js';

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

describe('schema-level malformed specs (wrong types, unknown keys, bad models)', () => {
  const schemaCases = [...schemaLevelCases(), ...oddButValidYaml()];
  it(`has ${schemaCases.length} cases; with the YAML-level ones well over 200`, () => {
    expect(schemaCases.length + cases.length).toBeGreaterThanOrEqual(200);
  });
  for (const c of schemaCases) {
    it(c.label, async () => {
      await expectClean(loadSpecText(c.text, 'sway.yaml'), c.expect);
    });
  }
  it('unknown keys are named with line/col and a suggestion', async () => {
    const text = 'version: 1\nmodels:\n  base: {kind: dummy, base: tiny}\n  ft: {kind: dummy, base: tiny}\ndefaults:\n  seeed: 3\n';
    await expect(loadSpecText(text, 'sway.yaml')).rejects.toThrow(/defaults\.seeed \(line 6, col 3\): .*did you mean 'seed'/);
  });
  it('version is checked after the schema', async () => {
    await expect(loadSpecText('version: 2\nmodels:\n  base: {base: x}\n  ft: {base: x}\n', 'sway.yaml')).rejects.toThrow(
      'unsupported sway spec version: 2 (this build supports 1)',
    );
  });
  it('YAML 1.1 scalars coerce like the reference; paths resolve against the spec directory', async () => {
    const text =
      'version: "1"\nmodels:\n  base: {base: ./m}\n  ft: {base: ./m, adapter: ../ad}\ndefaults: {seed: "3", differential: no}\ndlm_source: doc.dlm\nsuite:\n  - {name: a, kind: delta_kl, enabled: no}\n';
    const spec = await loadSpecText(text, 'sway.yaml', '/work/specs');
    expect(spec.defaults.seed).toBe(3);
    expect(spec.defaults.differential).toBe(false);
    expect(spec.models.ft.adapter).toBe('/work/ad');
    expect(spec.models.base.base).toBe('/work/specs/m');
    expect(spec.dlm_source).toBe('/work/specs/doc.dlm');
    expect(spec.suite[0]?.['enabled']).toBe(false);
  });
});

describe('YAML 1.1 scalars as PyYAML reads them', () => {
  it('yes/no/on/off are booleans, y/n stay strings, 1e-3 and "3" coerce', async () => {
    const text =
      'version: 1\nmodels:\n  base: {base: x}\n  ft: {base: x}\ndefaults: {differential: off, seed: "3"}\nsuite:\n  - {name: a, kind: delta_kl, prompts: [y, n, Yes], enabled: no, assert_mean_gte: 1e-3}\n';
    const spec = await loadSpecText(text, 'sway.yaml');
    expect(spec.defaults.differential).toBe(false);
    expect(spec.defaults.seed).toBe(3);
    expect(spec.suite[0]?.['prompts']).toEqual(['y', 'n', true]);
    expect(spec.suite[0]?.['enabled']).toBe(false);
  });
});
