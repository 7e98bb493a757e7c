// Files users hand to sway that cannot be used: one SwayError naming the file (issue 15 item 7).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/engine/tokenizer.js';
import { resolveDlm } from '../../src/suite/dlm/resolve.js';
import { tinyFixtures } from '../support/fixtures.js';
import { thrownSwayError } from '../support/cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sway-encoding-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('unusable input files', () => {
  it('tokenizer.json with an empty vocabulary is exit 2 naming tokenizer.json', () => {
    const model = join(dir, 'model');
    cpSync(tinyFixtures().base, model, { recursive: true });
    const tokPath = join(model, 'tokenizer.json');
    const tok = JSON.parse(readFileSync(tokPath, 'utf8')) as { model: { vocab: unknown } };
    tok.model.vocab = Array.isArray(tok.model.vocab) ? [] : {};
    writeFileSync(tokPath, JSON.stringify(tok));
    const err = thrownSwayError(() => loadTokenizer(model));
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(`${tokPath}: model.vocab is empty; the tokenizer cannot encode anything (is this the model's real tokenizer.json?)`);
  });

  it('a .dlm document that is not UTF-8 names the file and the byte offset', () => {
    const sample = readFileSync(resolve(import.meta.dirname, '../fixtures/dlm/sample.dlm'));
    const doc = join(dir, 'doc.dlm');
    writeFileSync(doc, Buffer.concat([sample.subarray(0, 10), Buffer.from([0xff]), sample.subarray(10)]));
    const err = thrownSwayError(() => resolveDlm(doc, { DLM_HOME: dir }));
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(`${doc}: not valid UTF-8 at byte offset 10 (byte 0xff); save the file as UTF-8`);
  });
});
