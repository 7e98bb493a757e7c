// A client that stalls mid-body gets 408 and its connection back; every request leaves one
// access-log line without secrets. Waits on socket events, asserts no durations.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { createServeApp } from '../../src/serve/app.js';
import { BackendCache } from '../../src/serve/backend-cache.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { fakeWorld, specYaml } from '../serve/fake-runtime.js';

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function boot(log: string[] | null, apiKey: string | null = null) {
  const world = fakeWorld();
  const cache = new BackendCache({ maxSize: 1, load: world.runtime.loadBackend });
  const app = createServeApp({ cache, runtime: world.runtime, apiKey, accessLog: log ? (line) => log.push(line) : null });
  server = await startServer({ app, cache, host: '127.0.0.1', port: 0, apiKey, timeouts: { headersMs: 200, requestMs: 400, checkEveryMs: 50 } });
  return server;
}

/** Sends `raw` and resolves with everything the server wrote once it closes the connection. */
function rawExchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

describe('serve timeouts (issue 15 item 3)', () => {
  it('a body shorter than its Content-Length is answered 408 and the connection is closed', async () => {
    const s = await boot(null);
    const reply = await rawExchange(s.port, 'POST /run HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\nContent-Length: 1000\r\n\r\nversion: 1\n');
    expect(reply.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('headers that never end are answered 408 too', async () => {
    const s = await boot(null);
    const reply = await rawExchange(s.port, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    expect(reply.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('refuses a headers timeout longer than the request timeout', async () => {
    const world = fakeWorld();
    const cache = new BackendCache({ maxSize: 1, load: world.runtime.loadBackend });
    const app = createServeApp({ cache, runtime: world.runtime });
    await expect(startServer({ app, cache, port: 0, timeouts: { headersMs: 500, requestMs: 100 } })).rejects.toBeInstanceOf(UsageError);
  });
});

describe('serve access log (item 23)', () => {
  it('one line per request: method, path, status; never the key, the query or the body', async () => {
    const log: string[] = [];
    const s = await boot(log, 's3cret-key');
    await fetch(`${s.url}/health`);
    await fetch(`${s.url}/stats`);
    await fetch(`${s.url}/run?spec_path=/private/sway.yaml`, { method: 'POST', headers: { authorization: 'Bearer s3cret-key', 'content-type': 'application/yaml' }, body: specYaml('m1') });
    expect(log).toHaveLength(3);
    expect(log[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z 127\.0\.0\.1 "GET \/health" 200 \d+\.\d{3}s (\d+|-)$/);
    expect(log[1]).toMatch(/ "GET \/stats" 401 /);
    expect(log[2]).toMatch(/ "POST \/run" 200 /);
    const all = log.join('\n');
    expect(all).not.toContain('s3cret');
    expect(all).not.toContain('spec_path');
    expect(all).not.toContain('version: 1');
  });
});
