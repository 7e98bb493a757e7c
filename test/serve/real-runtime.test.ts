// The daemon with the real suite runtime on a loopback port: the tiny engine fixture for
// warm vs cold, LRU eviction with close(), 400/401/413; the dummy backend for a bounded
// load test (200 requests from 8 concurrent clients).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DifferentialBackend } from '../../src/backends/contract.js';
import { writeTinyFixtures } from '../../src/engine/fixtures/tiny-suite.js';
import { createServeApp } from '../../src/serve/app.js';
import { BackendCache, type ModelKey } from '../../src/serve/backend-cache.js';
import { ServeClient } from '../../src/serve/client.js';
import { createDefaultRuntime } from '../../src/serve/default-runtime.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';

const dir = mkdtempSync(join(tmpdir(), 'sway-serve-real-'));
const closed: string[] = [];
const loaded: string[] = [];
/** Resolves once `closed` has n entries (eviction closes after the response is sent). */
const closeWaiters: { n: number; resolve: () => void }[] = [];
function closedCount(n: number): Promise<void> {
  return closed.length >= n ? Promise.resolve() : new Promise((resolve) => closeWaiters.push({ n, resolve }));
}
let server: RunningServer;
const KEY = 'real-key';

function tinySpec(adapter: string): string {
  return [
    'version: 1',
    'models:',
    `  base: {kind: hf, base: ${join(dir, 'fx/base')}}`,
    `  ft: {kind: hf, base: ${join(dir, 'fx/base')}, adapter: ${join(dir, 'fx/adapters', adapter)}}`,
    'suite:',
    '  - name: shift',
    '    kind: delta_kl',
    '    prompts: ["The capital of France is", "Water boils at"]',
  ].join('\n');
}

const dummySpec = [
  'version: 1',
  'models:',
  '  base: {kind: dummy, base: d}',
  '  ft: {kind: dummy, base: d}',
  'suite:',
  '  - {name: noise, kind: null_adapter, runs: 2, calibrate_kinds: [delta_kl]}',
  '  - {name: shift, kind: delta_kl, prompts: ["a b c", "hello there", "x"]}',
].join('\n');

/** The parts of a report that must not vary between identical runs (no timestamps or durations). */
function stable(report: Record<string, unknown>): unknown {
  const probes = (report['probes'] as Record<string, unknown>[]).map(({ duration_s: _d, ...p }) => p);
  return { probes, score: report['score'], null_stats: report['null_stats'], adapter_id: report['adapter_id'] };
}

beforeAll(async () => {
  writeTinyFixtures(join(dir, 'fx'));
  const runtime = createDefaultRuntime();
  const load = async (model: ModelKey): Promise<DifferentialBackend> => {
    const backend = await runtime.loadBackend(model);
    loaded.push(model.adapter ?? model.base);
    const close = backend.close?.bind(backend);
    backend.close = async () => {
      closed.push(model.adapter ?? model.base);
      for (const w of closeWaiters.filter((x) => closed.length >= x.n)) w.resolve();
      await close?.();
    };
    return backend;
  };
  const cache = new BackendCache({ maxSize: 2, load });
  const app = createServeApp({ cache, runtime: { ...runtime, loadBackend: load }, apiKey: KEY, maxBodyBytes: 64 * 1024 });
  server = await startServer({ app, cache, host: '127.0.0.1', port: 0, apiKey: KEY });
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sway serve with the tiny engine fixture', () => {
  it('runs the spec twice; the second request reuses the loaded model', async () => {
    const client = new ServeClient(server.url, { apiKey: KEY });
    const cold = await client.run(tinySpec('trained'), join(dir, 'sway.yaml'));
    const warm = await client.run(tinySpec('trained'), join(dir, 'sway.yaml'));
    process.stderr.write(`serve tiny fixture: cold ${cold.request_seconds.toFixed(3)} s, warm ${warm.request_seconds.toFixed(3)} s\n`);
    expect(loaded).toEqual([join(dir, 'fx/adapters/trained')]);
    expect(stable(warm)).toEqual(stable(cold));
    const probe = (cold['probes'] as { name: string; raw: number }[])[0]!;
    expect(probe.name).toBe('shift');
    expect(probe.raw).toBeGreaterThan(0);
    expect((await client.health()).loaded_models.map((m) => m.adapter)).toEqual([join(dir, 'fx/adapters/trained')]);
  });

  it('keeps two models warm: a third load closes the least recently used', async () => {
    const client = new ServeClient(server.url, { apiKey: KEY });
    await client.run(tinySpec('random'), join(dir, 'sway.yaml'));
    expect(closed).toEqual([]);
    await client.run(tinySpec('dora'), join(dir, 'sway.yaml'));
    await closedCount(1);
    expect(closed).toEqual([join(dir, 'fx/adapters/trained')]);
    expect(loaded).toEqual(['trained', 'random', 'dora'].map((a) => join(dir, 'fx/adapters', a)));
    const health = await client.health();
    expect(health.loaded_models.map((m) => m.adapter)).toEqual([join(dir, 'fx/adapters/random'), join(dir, 'fx/adapters/dora')]);
  });

  it('answers 401 without the key, 400 on a bad spec, 413 on an oversize body', async () => {
    const anonymous = await new ServeClient(server.url).run(tinySpec('trained')).catch((e: unknown) => e);
    expect((anonymous as { status: number }).status).toBe(401);
    const client = new ServeClient(server.url, { apiKey: KEY });
    const bad = await client.run(tinySpec('trained').replace('delta_kl', 'delta_kll'), join(dir, 'bad.yaml')).catch((e: unknown) => e);
    expect((bad as { status: number }).status).toBe(400);
    expect((bad as Error).message).toMatch(/^\/run returned 400: .*bad\.yaml.*unknown probe kind 'delta_kll'/s);
    const huge = `${tinySpec('trained')}\n# ${'x'.repeat(70 * 1024)}\n`;
    const big = await client.run(huge).catch((e: unknown) => e);
    expect((big as { status: number }).status).toBe(413);
  });
});

describe('sway serve under load (dummy backend)', () => {
  it('completes 200 requests from 8 concurrent clients with no errors and identical reports', async () => {
    const clients = Array.from({ length: 8 }, () => new ServeClient(server.url, { apiKey: KEY, timeoutMs: 60_000 }));
    const before = await clients[0]!.stats();
    const reports: unknown[] = [];
    let issued = 0;
    const started = performance.now();
    await Promise.all(
      clients.map(async (client) => {
        while (issued < 200) {
          issued += 1;
          reports.push(stable(await client.run(dummySpec, '<load>')));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`serve load test: 200 requests / 8 clients in ${seconds.toFixed(2)} s (${(200 / seconds).toFixed(0)} req/s)\n`);
    expect(reports).toHaveLength(200);
    const first = JSON.stringify(reports[0]);
    expect(reports.every((r) => JSON.stringify(r) === first)).toBe(true);
    const after = await clients[0]!.stats();
    expect(after.request_count - before.request_count).toBe(200);
    expect(after.error_count).toBe(before.error_count);
  });
});
