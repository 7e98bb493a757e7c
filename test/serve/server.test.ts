// The daemon on a real loopback socket, driven through ServeClient: warm vs cold runs,
// auth, and a bounded load test (200 requests from 8 concurrent clients).
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { createServeApp } from '../../src/serve/app.js';
import { BackendCache } from '../../src/serve/backend-cache.js';
import { ServeClient, ServeClientError } from '../../src/serve/client.js';
import { assertBindAllowed, startServer, type RunningServer } from '../../src/serve/server.js';
import { isLoopbackHost } from '../../src/serve/loopback.js';
import { fakeWorld, specYaml } from './fake-runtime.js';

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function boot(opts: { apiKey?: string; loadMs?: number; runMs?: number; maxSize?: number } = {}) {
  const world = fakeWorld({ loadMs: opts.loadMs ?? 0, runMs: opts.runMs ?? 0 });
  const cache = new BackendCache({ maxSize: opts.maxSize ?? 2, load: world.runtime.loadBackend });
  // The app's clock moves one second per reading, so run times in /stats are counts of
  // clock readings, not measurements.
  let tick = 0;
  const app = createServeApp({ cache, runtime: world.runtime, apiKey: opts.apiKey ?? null, now: () => tick++ });
  server = await startServer({ app, cache, host: '127.0.0.1', port: 0, apiKey: opts.apiKey ?? null });
  return { world, server };
}

function withoutTiming(report: Record<string, unknown>): Record<string, unknown> {
  const { request_seconds: _t, ...rest } = report;
  return rest;
}

describe('sway serve over loopback', () => {
  it('binds an ephemeral loopback port and loads a model only once', async () => {
    const { world, server } = await boot();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.port).toBeGreaterThan(0);
    const client = new ServeClient(`${server.url}/`);
    const cold = await client.run(specYaml('m1'), '/x/sway.yaml');
    expect(world.loads).toHaveLength(1);
    const warm = await client.run(specYaml('m1'), '/x/sway.yaml');
    expect(world.loads, 'the warm request loads nothing').toHaveLength(1);
    expect(warm.request_seconds).toBeTypeOf('number');
    expect(withoutTiming(warm)).toEqual(withoutTiming(cold));
    const health = await client.health();
    expect(health.loaded_models).toEqual([{ kind: 'hf', base: 'm1', adapter: '/adapters/m1', dtype: 'auto', device: 'auto' }]);
  });

  it('rejects requests without the key when one is set (401), but keeps /health open', async () => {
    const { server } = await boot({ apiKey: 'k-123' });
    const anonymous = new ServeClient(server.url);
    expect((await anonymous.health()).status).toBe('ok');
    const err = await anonymous.run(specYaml('m1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServeClientError);
    expect((err as ServeClientError).status).toBe(401);
    expect((err as Error).message).toBe('/run returned 401: missing or invalid Authorization header (expected: Bearer <api key>)');
    expect((err as ServeClientError).exitCode).toBe(2);
    const wrong = await new ServeClient(server.url, { apiKey: 'nope' }).stats().catch((e: unknown) => e);
    expect((wrong as ServeClientError).status).toBe(401);
    const ok = await new ServeClient(server.url, { apiKey: 'k-123' }).run(specYaml('m1'));
    expect(Array.isArray(ok['probes'])).toBe(true);
  });

  it('serves 200 requests from 8 concurrent clients with no errors and identical reports', async () => {
    const { world, server } = await boot({ runMs: 1 });
    const spec = specYaml('m1', ['alpha', 'beta', 'gamma']);
    const clients = Array.from({ length: 8 }, () => new ServeClient(server.url, { timeoutMs: 30_000 }));
    const reports: Record<string, unknown>[] = [];
    let next = 0;
    await Promise.all(
      clients.map(async (client) => {
        while (next < 200) {
          next += 1;
          reports.push(withoutTiming(await client.run(spec, '/load/sway.yaml')));
        }
      }),
    );
    expect(reports).toHaveLength(200);
    const first = JSON.stringify(reports[0]);
    expect(reports.every((r) => JSON.stringify(r) === first)).toBe(true);
    expect(world.loads).toHaveLength(1);
    expect(world.maxConcurrentPerBackend()).toBe(1);
    const stats = await clients[0]!.stats();
    expect(stats.request_count).toBe(200);
    expect(stats.error_count).toBe(0);
    // each run reads the clock at least twice, so it lasts >= 1 tick; requests interleave
    expect(stats.total_run_seconds).toBeGreaterThanOrEqual(200);
    expect(stats.mean_run_seconds).toBe(stats.total_run_seconds / 200);
  });

  it('refuses an oversize body on the socket, with and without Content-Length', async () => {
    const world = fakeWorld();
    const cache = new BackendCache({ maxSize: 1, load: world.runtime.loadBackend });
    const app = createServeApp({ cache, runtime: world.runtime, maxBodyBytes: 4096 });
    server = await startServer({ app, cache, port: 0 });
    const big = JSON.stringify({ spec: specYaml('m1', Array.from({ length: 2000 }, (_, i) => `p${i}`)) });
    const sized = await fetch(`${server.url}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(sized.status).toBe(413);
    const chunks = [big.slice(0, 3000), big.slice(3000)];
    const stream = new ReadableStream({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const chunked = await fetch(`${server.url}/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
    expect(chunked.status).toBe(413);
    expect(world.loads).toHaveLength(0);
    const err = await new ServeClient(server.url).run(specYaml('m1', Array.from({ length: 2000 }, (_, i) => `p${i}`))).catch((e: unknown) => e);
    expect((err as Error).message).toBe('/run returned 413: request body exceeds 4 KiB; raise --max-body-kb on the server');
  });

  it('reports an unreachable daemon and a timeout as clear client errors', async () => {
    const { server } = await boot({ runMs: 300 });
    const slow = await new ServeClient(server.url, { timeoutMs: 50 }).run(specYaml('m1')).catch((e: unknown) => e);
    expect((slow as Error).message).toBe('POST /run failed: no answer within 50 ms (raise the client timeout or check the daemon)');
    const port = server.port;
    await server.close();
    const gone = await new ServeClient(`http://127.0.0.1:${port}`).health().catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ServeClientError);
    expect((gone as Error).message).toMatch(/^GET \/health failed: ECONNREFUSED; is `sway serve` running at http:\/\/127\.0\.0\.1:\d+\?$/);
  });
});

describe('bind rules', () => {
  it('treats only loopback names and addresses as loopback', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'example.com', '128.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('refuses a public bind without an API key, naming the host and the flag', () => {
    const err = (() => {
      try {
        assertBindAllowed('0.0.0.0', null);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/^refusing to bind 0\.0\.0\.0 without --api-key/);
    expect(() => assertBindAllowed('0.0.0.0', 'key')).not.toThrow();
    expect(() => assertBindAllowed('127.0.0.1', null)).not.toThrow();
  });
});
