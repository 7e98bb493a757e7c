// The built `sway` binary as a user runs it: bind refusal, listening line, health check,
// clean shutdown on SIGTERM. Needs dist/ (`npm run build`, which `npm test` runs first).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ServeClient } from '../../src/serve/client.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin/sway.js');
const built = existsSync(join(root, 'dist/src/cli/commands/serve.js'));
if (!built) process.stderr.write('cli-process.test: dist/ not built (run `npm run build`); skipping\n');

describe.skipIf(!built)('sway serve as a process', () => {
  it('exits 2 with a clear message when asked to bind 0.0.0.0 without --api-key', () => {
    const child = spawnSync(process.execPath, [bin, 'serve', '--host', '0.0.0.0'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, SWAY_SERVE_API_KEY: '' } });
    expect(child.status).toBe(2);
    expect(child.stderr).toMatch(/^sway: error: refusing to bind 0\.0\.0\.0 without --api-key/);
    expect(child.stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
    expect(child.stdout).toBe('');
  });

  it('listens on an ephemeral loopback port, answers /health with the key rules, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--max-loaded-models', '1'], {
      env: { ...process.env, SWAY_SERVE_API_KEY: 'cli-key' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 20_000);
        child.stderr.on('data', () => {
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+) \(max 1 loaded model\(s\), auth on/.exec(stderr);
          if (m?.[1]) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
      });
      const health = await new ServeClient(url).health();
      expect(health).toMatchObject({ status: 'ok', loaded_models: [], max_loaded_models: 1 });
      const denied = await new ServeClient(url).stats().catch((e: unknown) => e);
      expect((denied as Error).message).toMatch(/^\/stats returned 401/);
      expect((await new ServeClient(url, { apiKey: 'cli-key' }).stats()).request_count).toBe(0);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('sway serve: shutting down');
  });
});

describe.skipIf(!built)('sway watch as a process', () => {
  it('runs at start, runs again after the adapter changes, and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sway-watch-proc-'));
    mkdirSync(join(dir, 'adapter'));
    writeFileSync(join(dir, 'adapter', 'adapter_config.json'), '{"r": 8}');
    writeFileSync(
      join(dir, 'sway.yaml'),
      'version: 1\nmodels:\n  base: {kind: dummy, base: b}\n  ft: {kind: dummy, base: b, adapter: ./adapter}\n' +
        'defaults: {coverage_threshold: 0.0}\nsuite:\n  - {name: shift, kind: delta_kl, prompts: ["a b"]}\n',
    );
    const history = join(dir, 'history');
    const count = () => (existsSync(history) ? readdirSync(history).filter((n) => n.endsWith('.result.json')).length : 0);
    const child = spawn(process.execPath, [bin, 'watch', join(dir, 'sway.yaml'), '--interval', '0.1', '--debounce', '0.2', '--history-dir', history], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const waiters: { n: number; resolve: () => void }[] = [];
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const w of waiters) if (stderr.includes(`run #${w.n}:`)) w.resolve();
    });
    // The watcher logs `run #N:` after it has written run N's history file.
    const waitForCount = (n: number) =>
      new Promise<void>((resolve, reject) => {
        if (stderr.includes(`run #${n}:`)) return resolve();
        waiters.push({ n, resolve });
        child.once('exit', () => reject(new Error(`sway watch exited before run #${n}: ${stderr}`)));
      });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitForCount(1);
      writeFileSync(join(dir, 'adapter', 'adapter_model.safetensors'), 'new version');
      await waitForCount(2);
      expect(count()).toBe(2);
      // A quiet period, not a timing assertion: nothing changes now, so no third run may
      // start (3x the debounce gives a spurious one time to show up).
      await new Promise((r) => setTimeout(r, 600));
      expect(count()).toBe(2);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/run #1: pass/);
    expect(stderr).toMatch(/run #2: pass/);
    rmSync(dir, { recursive: true, force: true });
  });
});
