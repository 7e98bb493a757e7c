// `sway doctor --spec` against an in-test server, and the reference's `kind: api` key set.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCleanError, swayIn } from '../support/cli.js';
import { modelsResponse, startTestServer, type TestServer } from './test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer((req) => {
    if (req.path === '/v1/models') return { json: { object: 'list', data: modelsResponse(['base-model', 'ft-model', 'null-0']).data.map((m) => ({ ...m, owned_by: 'vllm' })) } };
    const body = req.body as { model: string };
    return { json: { choices: [{ text: ' a', logprobs: { tokens: [' a'], token_logprobs: [-0.5], top_logprobs: [{ ' a': -0.5, ' b': body.model === 'base-model' ? -1 : -2 }] } }] } };
  });
});
afterAll(() => server.close());

function spec(models: string, suite = '[]'): string {
  const dir = mkdtempSync(join(tmpdir(), 'sway-http-doctor-'));
  const file = join(dir, 'sway.yaml');
  writeFileSync(file, `version: 1\nmodels:\n${models}\nsuite: ${suite}\n`);
  return file;
}

describe('sway doctor --spec', () => {
  it('lists served models, the flavour and where each view comes from', async () => {
    const file = spec(`  base: {kind: http, base: base-model, base_url: "${server.url}"}\n  ft: {kind: http, base: base-model, base_url: "${server.url}", views: {ft: ft-model, null_0: null-0}}`);
    const r = await swayIn(['doctor', '--spec', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { backends: Record<string, { available: boolean }>; servers: { ft: { flavor: string; served: string[]; views: Record<string, string | null> } } };
    expect(doc.backends['http']!.available).toBe(true);
    expect(doc.servers.ft.flavor).toBe('vllm');
    expect(doc.servers.ft.served).toEqual(['base-model', 'ft-model', 'null-0']);
    expect(doc.servers.ft.views['ft']).toMatch(/ft-model/);
    expect(doc.servers.ft.views['null_0']).toMatch(/null-0/);
    expect(doc.servers.ft.views['scaled_0.50']).toBeNull();
    const text = await swayIn(['doctor', '--spec', file]);
    expect(text.stdout).toMatch(/scaled_0\.50\s+not offered — probes needing it SKIP/);
  });

  it('an unreachable server is one error line, exit 2', async () => {
    const file = spec(`  base: {kind: http, base: b, base_url: "http://127.0.0.1:9"}\n  ft: {kind: http, base: b, base_url: "http://127.0.0.1:9", retries: 0}`);
    expect(expectCleanError(await swayIn(['doctor', '--spec', file]))).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9\/v1\/models/);
  });
});

describe('kind: api (the reference\'s keys)', () => {
  it('runs on the same backend; base and ft are the same served model, with a warning', async () => {
    const file = spec(`  base: {kind: api, base: base-model, endpoint: "${server.url}"}\n  ft: {kind: api, base: base-model, endpoint: "${server.url}"}`, '[{name: dk, kind: delta_kl, prompts: ["hi"]}]');
    const out = join(mkdtempSync(join(tmpdir(), 'sway-http-api-')), 'r.json');
    const r = await swayIn(['run', file, '--json', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: kind: api serves one model \('base-model'\) for both base and ft/);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { probes: { raw: number }[]; warnings: string[]; backend_stats: Record<string, number> };
    expect(report.probes[0]!.raw).toBe(0);
    expect(report.backend_stats['http_requests']).toBeGreaterThan(0);
  });

  it('differential: false with two served models compares them (the ft entry\'s base is the ft model)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sway-http-two-'));
    const file = join(dir, 'sway.yaml');
    writeFileSync(file, `version: 1\nmodels:\n  base: {kind: api, base: base-model, endpoint: "${server.url}"}\n  ft: {kind: http, base: ft-model, base_url: "${server.url}"}\ndefaults: {differential: false}\nsuite: [{name: dk, kind: delta_kl, prompts: ["hi"]}]\n`);
    const out = join(dir, 'r.json');
    const r = await swayIn(['run', file, '--json', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/serves one model/);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { probes: { raw: number }[] };
    expect(report.probes[0]!.raw).toBeGreaterThan(0);
    const sent = server.requests.filter((q) => q.path === '/v1/completions').map((q) => (q.body as { model: string }).model);
    expect(new Set(sent)).toEqual(new Set(['base-model', 'ft-model']));
  });

  it('endpoint is required, with the reference\'s message', async () => {
    const file = spec(`  base: {kind: api, base: m}\n  ft: {kind: api, base: m}`, '[{name: dk, kind: delta_kl, prompts: ["hi"]}]');
    expect(expectCleanError(await swayIn(['run', file]))).toMatch(/api backend requires `endpoint:`/);
  });
});
