// `sway serve` / `sway watch` through the CLI entry (in-process main(), so no build is needed).
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createServeApp } from '../../src/serve/app.js';
import { BackendCache } from '../../src/serve/backend-cache.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import type { ServeRuntime } from '../../src/serve/runtime.js';
import { waitForFile } from '../support/wait.js';

let stderr: string[];
let stdout: string[];
beforeEach(() => {
  stderr = [];
  stdout = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('sway serve (CLI)', () => {
  it('refuses 0.0.0.0 without --api-key: exit 2 and a message naming the host and the flag', async () => {
    const code = await main(['serve', '--host', '0.0.0.0', '--port', '0']);
    expect(code).toBe(2);
    expect(stderr.join('')).toMatch(/^sway: error: refusing to bind 0\.0\.0\.0 without --api-key: .*Pass --api-key <token>/);
  });

  it('rejects bad numbers with exit 2', async () => {
    expect(await main(['serve', '--port', '70000'])).toBe(2);
    expect(stderr.join('')).toContain('--port must be an integer in 0..65535 (0 picks a free port), got 70000');
    stderr.length = 0;
    expect(await main(['serve', '--port', '0', '--max-loaded-models', '0'])).toBe(2);
    expect(stderr.join('')).toContain("--max-loaded-models must be an integer >= 1, got '0'");
  });
});

describe('sway watch --once (CLI) against a daemon', () => {
  let dir: string;
  let server: RunningServer;
  const overall = { value: 0.9 };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sway-watch-cli-'));
    await mkdir(join(dir, 'adapter'));
    await writeFile(join(dir, 'adapter', 'adapter_config.json'), '{"r": 8}');
    await writeFile(join(dir, 'sway.yaml'), 'version: 1\nmodels:\n  base: {kind: dummy, base: b}\n  ft: {kind: dummy, base: b, adapter: ./adapter}\ndefaults: {coverage_threshold: 0.5}\nsuite: []\n');
    const runtime: ServeRuntime = {
      prepare: async (text, specPath) => ({
        model: null,
        execute: async () => JSON.stringify({ probes: [{ name: 'dk', verdict: 'pass' }], score: { overall: overall.value }, spec_path: specPath, echoed: text.length }),
      }),
      loadBackend: async () => {
        throw new Error('not used');
      },
    };
    const cache = new BackendCache({ maxSize: 1, load: runtime.loadBackend });
    server = await startServer({ app: createServeApp({ cache, runtime }), cache, port: 0 });
  });
  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one history file and exits 0 when the gate passes, 1 when it fails', async () => {
    const spec = join(dir, 'sway.yaml');
    expect(await main(['watch', spec, '--once', '--serve-url', server.url, '--keep', '5'])).toBe(0);
    const first = stdout.join('').trim();
    expect(first).toMatch(/\.sway\/history\/\d{8}T\d{6}Z-00001\.result\.json$/);
    const written = JSON.parse(await readFile(first, 'utf8')) as Record<string, Record<string, unknown>>;
    expect(written['sway_watch']).toMatchObject({ verdict: 'pass', threshold: 0.5, overall_score: 0.9, spec_path: spec });
    expect(written['spec_path']).toBe(spec);

    overall.value = 0.2;
    stdout.length = 0;
    const hookOut = join(dir, 'hook.txt');
    // the hook runs detached from the gate: it writes beside the target and renames into
    // place, and the test wakes on that rename
    const hookRan = waitForFile(hookOut);
    expect(await main(['watch', spec, '--once', '--serve-url', server.url, '--on-fail', `printf '%s' "$SWAY_RESULT_PATH" > '${hookOut}.tmp' && mv '${hookOut}.tmp' '${hookOut}'`])).toBe(1);
    const failedPath = stdout.join('').trim();
    await hookRan;
    expect(await readFile(hookOut, 'utf8')).toBe(failedPath);
  });

  it('runs the spec in-process without --serve-url (real suite runner, dummy backend)', async () => {
    const spec = join(dir, 'local.yaml');
    await writeFile(
      spec,
      'version: 1\nmodels:\n  base: {kind: dummy, base: b}\n  ft: {kind: dummy, base: b, adapter: ./adapter}\n' +
        'defaults: {coverage_threshold: 0.0}\nsuite:\n  - {name: shift, kind: delta_kl, prompts: ["a b", "c d"]}\n',
    );
    expect(await main(['watch', spec, '--once', '--history-dir', join(dir, 'h')])).toBe(0);
    const written = JSON.parse(await readFile(stdout.join('').trim(), 'utf8')) as Record<string, unknown>;
    expect((written['probes'] as { name: string }[]).map((p) => p.name)).toEqual(['shift']);
    expect(written['schema_version']).toBe(1);
    expect(written['sway_watch']).toMatchObject({ verdict: 'pass', threshold: 0, sequence: 1 });
  });

  it('needs an adapter to watch: exit 2 naming models.ft.adapter', async () => {
    const spec = join(dir, 'noadapter.yaml');
    await writeFile(spec, 'version: 1\nmodels:\n  base: {kind: dummy, base: b}\n  ft: {kind: dummy, base: b}\nsuite: []\n');
    expect(await main(['watch', spec, '--once'])).toBe(2);
    expect(stderr.join('')).toContain('models.ft.adapter is not set; sway watch re-runs the spec when the adapter directory changes');
    stderr.length = 0;
    expect(await main(['watch', join(dir, 'missing.yaml'), '--once'])).toBe(2);
    expect(stderr.join('')).toContain('spec file not found:');
  });
});
