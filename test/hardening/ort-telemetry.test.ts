// onnxruntime-node's telemetry SDK writes ~/.cache/Microsoft/DeveloperTools/.onnxruntime/
// onnxruntime.db and $TMPDIR/mat-debug-<pid>.log in every process that starts ONNX
// Runtime. Fresh processes with HOME and TMPDIR pointed at empty folders show whether it ran.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';
import { tinyFixtures } from '../support/fixtures.js';

const ROOT = resolve(import.meta.dirname, '../..');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sway-ort-tel-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

/**
 * Runs node with a private HOME and TMPDIR and without any telemetry switch inherited from
 * this process (the SDK also stays quiet when CI, GITHUB_ACTIONS or TF_BUILD is set).
 */
let runs = 0;
function isolated(args: string[]): { code: number | null; stderr: string; written: string[] } {
  runs += 1;
  const home = join(dir, `home-${runs}`);
  const tmp = join(dir, `tmp-${runs}`);
  mkdirSync(home);
  mkdirSync(tmp);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, TMPDIR: tmp, NO_COLOR: '1' };
  for (const k of ['ORT_DISABLE_TELEMETRY', 'XDG_CACHE_HOME', 'CI', 'GITHUB_ACTIONS', 'TF_BUILD']) delete env[k];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stderr: r.stderr, written: [...filesUnder(home).map((f) => `HOME/${f}`), ...filesUnder(tmp).map((f) => `TMPDIR/${f}`)] };
}

describe('onnxruntime telemetry (issue 15 item 9)', () => {
  it('sway loads the engine and scores without writing onnxruntime.db or mat-debug logs', (ctx) => {
    // Control: onnxruntime-node on its own does write them here, so the check below can fail.
    const bare = isolated(['--input-type=module', '-e', "import * as ort from 'onnxruntime-node'; await ort.InferenceSession.create(new Uint8Array([8, 7])).catch(() => undefined);"]);
    if (!bare.written.some((f) => f.endsWith('onnxruntime.db'))) ctx.skip('this onnxruntime-node build writes no telemetry files; nothing to check');
    expect(bare.written).toEqual(expect.arrayContaining(['HOME/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db', expect.stringMatching(/^TMPDIR\/mat-debug-\d+\.log$/)]));

    const fx = tinyFixtures();
    const run = isolated([BIN, 'score', '--base', fx.base, '--adapter', fx.trained, '--view', 'ft', '--prompt', 'The sky is']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.written).toEqual([]);

    // A library user who imports only the engine is covered too.
    const lib = isolated(['--input-type=module', '-e', `const { Engine } = await import('./dist/src/engine/engine.js'); const e = await Engine.load({ base: ${JSON.stringify(fx.base)}, adapter: null }); await e.close();`]);
    expect(lib.code, lib.stderr).toBe(0);
    expect(lib.written).toEqual([]);
  });
});
