import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpecValidationError } from '../../src/core/errors.js';
import { firstInvalidUtf8 } from '../../src/core/utf8.js';
import { executeSpec } from '../../src/suite/execute.js';
import { loadSpecFile, loadSpecText } from '../../src/suite/load.js';
import { thrownSwayError } from '../support/cli.js';

const SAMPLE_DLM = resolve(import.meta.dirname, '../fixtures/dlm/sample.dlm');
const models = 'models:\n  base: {kind: dummy, base: tiny}\n  ft: {kind: dummy, base: tiny}\n';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sway-specload-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('defaults are validated at load (issue 15 item 4)', () => {
  it.each([
    ['top_k: -3', 'defaults.top_k: Too small: expected number to be >=1'],
    ['top_k: 0', 'defaults.top_k: Too small: expected number to be >=1'],
    ['concurrent_probes: 0', 'defaults.concurrent_probes: Too small: expected number to be >=1'],
    ['concurrent_probes: 99', 'defaults.concurrent_probes: Too big: expected number to be <=32'],
  ])('%s is exit 2 naming the key and the range', (line, message) => {
    const err = thrownSwayError(() => loadSpecText(`version: 1\n${models}defaults:\n  ${line}\nsuite:\n  - {name: dk, kind: delta_kl, prompts: [a]}\n`, 'sway.yaml'));
    expect(err).toBeInstanceOf(SpecValidationError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(`sway.yaml: ${message}`);
  });

  it('a probe-time zod failure is one line in the report, never a raw ZodError', async () => {
    const loaded = loadSpecText(`version: 1\n${models}suite:\n  - {name: n, kind: null_adapter, runs: 2}\n  - {name: dk, kind: delta_kl, prompts: [a]}\n`, 'sway.yaml');
    (loaded.spec.defaults as { top_k: number }).top_k = -3; // what load would have refused, forced in
    const { suite } = await executeSpec(loaded);
    for (const p of suite.probes.filter((x) => x.verdict === 'error')) {
      expect(p.message).not.toContain('\n');
      expect(p.message).not.toMatch(/ZodError|"code":/);
    }
  });
});

describe('unnamed suite entries (item 10)', () => {
  it('name: null and a missing name are named after the kind, distinct, with a note', () => {
    const loaded = loadSpecText(`version: 1\n${models}suite:\n  - {name: null, kind: null_adapter, runs: 2}\n  - {kind: delta_kl, prompts: [a]}\n  - {name: null, kind: delta_kl, prompts: [b]}\n  - {name: delta_kl_2, kind: delta_kl, prompts: [c]}\n`, 'sway.yaml');
    expect(loaded.probes.map((p) => p.spec.name)).toEqual(['null_adapter', 'delta_kl', 'delta_kl_3', 'delta_kl_2']);
    expect(loaded.notes).toEqual(['3 suite entries have no name; named after the kind: null_adapter, delta_kl, delta_kl_3']);
  });

  it("README's example spec loads", async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const yaml = /```yaml\n# sway.yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(yaml).toBeDefined();
    const loaded = loadSpecText(yaml!.replace(/kind: hf/g, 'kind: dummy'), 'README.md');
    expect(loaded.notes).toEqual([]);
    expect(loaded.probes.map((p) => p.spec.kind)).toEqual(['null_adapter', 'delta_kl', 'adapter_ablation']);
  });
});

describe('bytes that are not UTF-8 (item 7)', () => {
  it('finds the first bad byte', () => {
    expect(firstInvalidUtf8(Buffer.from('héllo ✓ 𝄞', 'utf8'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xff, 0x63]))).toBe(2);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc3]))).toBe(1); // truncated sequence
    expect(firstInvalidUtf8(Buffer.from([0xc0, 0xaf]))).toBe(0); // overlong
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // surrogate
  });

  it('a spec with a Latin-1 byte is exit 2 naming the file and the offset', () => {
    const f = join(dir, 'sway.yaml');
    const text = Buffer.from(`version: 1\n${models}suite:\n  - {name: caf`, 'utf8');
    writeFileSync(f, Buffer.concat([text, Buffer.from([0xe9]), Buffer.from(', kind: delta_kl, prompts: [a]}\n')]));
    const err = thrownSwayError(() => loadSpecFile(f));
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(`${f}: not valid UTF-8 at byte offset ${text.length} (byte 0xe9); save the file as UTF-8`);
  });
});

describe('dlm_source with no ft adapter (item 11)', () => {
  const starter = 'version: 1\nmodels:\n  base: {kind: hf, base: some/model}\n  ft: {kind: hf, base: some/model}\ndlm_source: doc.dlm\nsuite:\n  - {name: dk, kind: delta_kl, prompts: [a]}\n';
  let prevHome: string | undefined;
  beforeEach(() => {
    prevHome = process.env['DLM_HOME'];
    process.env['DLM_HOME'] = join(dir, 'dlm-home');
    copyFileSync(SAMPLE_DLM, join(dir, 'doc.dlm'));
    writeFileSync(join(dir, 'sway.yaml'), starter);
  });
  afterEach(() => {
    if (prevHome === undefined) delete process.env['DLM_HOME'];
    else process.env['DLM_HOME'] = prevHome;
  });

  it('takes the current adapter from the dlm store, with a note', () => {
    const store = join(dir, 'dlm-home', 'store', '01JDEMO0000000000000000000');
    mkdirSync(join(store, 'adapter', 'v2'), { recursive: true });
    writeFileSync(join(store, 'adapter', 'current.txt'), 'adapter/v2\n');
    const loaded = loadSpecFile(join(dir, 'sway.yaml'));
    expect(loaded.spec.models.ft.adapter).toBe(join(store, 'adapter', 'v2'));
    expect(loaded.notes).toEqual([`models.ft.adapter not set; using the dlm store's current adapter ${join(store, 'adapter', 'v2')}`]);
  });

  it('refuses (exit 2) instead of running base against base when the store has none', () => {
    const err = thrownSwayError(() => loadSpecFile(join(dir, 'sway.yaml')));
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('models.ft has no adapter and none was found for dlm_source in the dlm store');
    expect(err.message).toContain(join(dir, 'dlm-home', 'store', '01JDEMO0000000000000000000', 'adapter', 'current.txt'));
  });
});
