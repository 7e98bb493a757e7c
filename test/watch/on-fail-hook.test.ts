import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shellHookRunner } from '../../src/serve/watch/on-fail-hook.js';

const dir = mkdtempSync(join(tmpdir(), 'sway-hook-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('shellHookRunner', () => {
  it('runs the command through the shell with SWAY_RESULT_PATH set', async () => {
    const out = join(dir, 'seen.txt');
    const logs: string[] = [];
    shellHookRunner((l) => logs.push(l))(`printf '%s' "$SWAY_RESULT_PATH" > '${out}'`, { SWAY_RESULT_PATH: '/h/0001.result.json' });
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').length > 0);
    expect(readFileSync(out, 'utf8')).toBe('/h/0001.result.json');
    expect(logs).toEqual([]);
  });

  it('logs a failing command instead of throwing', async () => {
    const logs: string[] = [];
    shellHookRunner((l) => logs.push(l))('exit 7', {});
    await waitFor(() => logs.length > 0);
    expect(logs).toEqual(['on-fail hook exited with code 7: exit 7']);
  });
});
