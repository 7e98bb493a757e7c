import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shellHookRunner } from '../../src/serve/watch/on-fail-hook.js';
import { waitForFile } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'sway-hook-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('shellHookRunner', () => {
  it('runs the command through the shell with SWAY_RESULT_PATH set', async () => {
    const out = join(dir, 'seen.txt');
    const logs: string[] = [];
    const seen = waitForFile(out);
    shellHookRunner((l) => logs.push(l))(`printf '%s' "$SWAY_RESULT_PATH" > '${out}.tmp' && mv '${out}.tmp' '${out}'`, { SWAY_RESULT_PATH: '/h/0001.result.json' });
    await seen;
    expect(readFileSync(out, 'utf8')).toBe('/h/0001.result.json');
    expect(logs).toEqual([]);
  });

  it('logs a failing command instead of throwing', async () => {
    const logged = new Promise<string>((resolve) => shellHookRunner(resolve)('exit 7', {}));
    expect(await logged).toBe('on-fail hook exited with code 7: exit 7');
  });
});
