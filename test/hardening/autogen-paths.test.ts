// `sway autogen doc.dlm -o dir/sway.yaml` run from the document's folder: dlm_source must
// resolve from the spec's folder, where `sway run dir/sway.yaml` looks (issue 15 item 12).
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSpecFile } from '../../src/suite/load.js';
import { swayIn } from '../support/cli.js';

const SAMPLE = resolve(import.meta.dirname, '../fixtures/dlm/sample.dlm');
let dir: string;
let prevCwd: string;
let prevHome: string | undefined;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'sway-autogen-')));
  prevCwd = process.cwd();
  prevHome = process.env['DLM_HOME'];
  process.env['DLM_HOME'] = join(dir, 'dlm-home');
  const store = join(dir, 'dlm-home', 'store', '01JDEMO0000000000000000000');
  mkdirSync(join(store, 'adapter', 'v1'), { recursive: true });
  writeFileSync(join(store, 'adapter', 'current.txt'), 'adapter/v1');
  copyFileSync(SAMPLE, join(dir, 'doc.dlm'));
  process.chdir(dir);
});
afterEach(() => {
  process.chdir(prevCwd);
  if (prevHome === undefined) delete process.env['DLM_HOME'];
  else process.env['DLM_HOME'] = prevHome;
  rmSync(dir, { recursive: true, force: true });
});

describe('sway autogen paths', () => {
  it('writes dlm_source relative to the spec, not to the working directory', async () => {
    const r = await swayIn(['autogen', 'doc.dlm', '-o', join('suites', 'sway.yaml')]);
    expect(r.code, r.stderr).toBe(0);
    process.chdir(prevCwd); // `sway run` from anywhere else
    const loaded = loadSpecFile(join(dir, 'suites', 'sway.yaml'));
    expect(loaded.spec.dlm_source).toBe(join(dir, 'doc.dlm'));
  });
});
