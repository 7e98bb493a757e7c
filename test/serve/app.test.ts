import { describe, expect, it } from 'vitest';
import { createServeApp } from '../../src/serve/app.js';
import { BackendCache } from '../../src/serve/backend-cache.js';
import { fakeWorld, specYaml } from './fake-runtime.js';

function setup(opts: { apiKey?: string; maxSize?: number; maxBodyBytes?: number } = {}) {
  const world = fakeWorld();
  const cache = new BackendCache({ maxSize: opts.maxSize ?? 2, load: world.runtime.loadBackend });
  // A clock that moves one second per reading: the app reads it once at creation and at
  // the start and end of each run, so a request's request_seconds is exactly 1.
  let tick = 0;
  const app = createServeApp({ cache, runtime: world.runtime, apiKey: opts.apiKey ?? null, maxBodyBytes: opts.maxBodyBytes, now: () => tick++ });
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    app.request('/run', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { world, cache, app, post };
}

describe('serve app', () => {
  it('runs a spec sent as YAML text inside JSON and returns the report plus request_seconds', async () => {
    const { post } = setup();
    const res = await post({ spec: specYaml('m1', ['hi', 'hello']), spec_path: '/specs/sway.yaml' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { spec_path: string; probes: { name: string; raw: number }[]; request_seconds: number };
    expect(body.spec_path).toBe('/specs/sway.yaml');
    // fake view: logprob = -(len)/10 for ft, -(len)/5 for base; 'hi' + ' world' = 8 chars
    expect(body.probes.map((p) => p.name)).toEqual(['hi', 'hello']);
    expect(body.probes[0]?.raw).toBeCloseTo(-0.8 + 1.6, 10);
    expect(body.request_seconds, 'measured with the app clock around the run').toBe(1);
    expect(res.headers.get('x-sway-request-seconds')).toBe('1');
  });

  it('accepts a raw YAML body and a spec given as a JSON object', async () => {
    const { app, post } = setup();
    const yamlRes = await app.request('/run?spec_path=x.yaml', {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: specYaml('m1'),
    });
    expect(yamlRes.status).toBe(200);
    expect(((await yamlRes.json()) as { spec_path: string }).spec_path).toBe('x.yaml');
    const objRes = await post({ spec: { version: 1, models: { ft: { kind: 'hf', base: 'm1' } } } });
    expect(objRes.status).toBe(200);
    expect(((await objRes.json()) as { spec_path: string }).spec_path).toBe('<serve>');
  });

  it('answers a bad spec with 400 and the validation message', async () => {
    const { post } = setup();
    const res = await post({ spec: 'version: 1\nmodels: {}\n', spec_path: 'bad.yaml' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ detail: 'bad.yaml: models.ft.base is required', code: 'SWAY_SPEC_INVALID' });
  });

  it('answers a malformed body with 400 naming the problem', async () => {
    const { post, app } = setup();
    const notJson = await post('{"spec": ');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { detail: string }).detail).toMatch(/^request body is not valid JSON/);
    const extraKey = await post({ spec: 'x: 1', nonsense: true });
    expect(extraKey.status).toBe(400);
    expect(((await extraKey.json()) as { detail: string }).detail).toMatch(/invalid \/run body/);
    const wrongType = await app.request('/run', { method: 'POST', headers: { 'content-type': 'image/png' }, body: 'x' });
    expect(wrongType.status).toBe(400);
    expect(((await wrongType.json()) as { detail: string }).detail).toMatch(/unsupported Content-Type 'image\/png'/);
  });

  it('refuses an oversize body with 413 before parsing it', async () => {
    const { post, world } = setup({ maxBodyBytes: 2048 });
    const res = await post({ spec: specYaml('m1', Array.from({ length: 400 }, (_, i) => `p${i}`)) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/exceeds 2 KiB.*--max-body-kb/);
    expect(world.loads).toHaveLength(0);
  });

  it('requires the bearer key on every route but /health', async () => {
    const { app, post } = setup({ apiKey: 's3cret' });
    expect((await app.request('/health')).status).toBe(200);
    expect((await app.request('/stats')).status).toBe(401);
    expect((await app.request('/stats', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await app.request('/stats', { headers: { authorization: 'bearer s3cret' } })).status).toBe(401);
    expect((await app.request('/stats', { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
    const denied = await post({ spec: specYaml('m1') });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ detail: 'missing or invalid Authorization header (expected: Bearer <api key>)' });
    expect((await post({ spec: specYaml('m1') }, { authorization: 'Bearer s3cret' })).status).toBe(200);
  });

  it('keeps at most max models warm, closing the least recently used, and reports them in /health', async () => {
    const { app, post, world } = setup({ maxSize: 2 });
    for (const m of ['m1', 'm2', 'm3']) expect((await post({ spec: specYaml(m) })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 0));
    expect(world.closed.map((m) => m.base)).toEqual(['m1']);
    const health = (await (await app.request('/health')).json()) as { loaded_models: { base: string; adapter: string }[]; max_loaded_models: number };
    expect(health.loaded_models.map((m) => m.base)).toEqual(['m2', 'm3']);
    expect(health.loaded_models[0]?.adapter).toBe('/adapters/m2');
    expect(health.max_loaded_models).toBe(2);
  });

  it('counts successful runs and errors in /stats', async () => {
    const { app, post } = setup();
    await post({ spec: specYaml('m1') });
    await post({ spec: specYaml('m1') });
    await post({ spec: 'models: {}' });
    const stats = (await (await app.request('/stats')).json()) as Record<string, number | null>;
    expect(stats['request_count']).toBe(2);
    expect(stats['error_count']).toBe(1);
    expect(stats['cached_backends']).toBe(1);
    expect(stats['mean_run_seconds']).toBeCloseTo((stats['total_run_seconds'] as number) / 2, 12);
  });

  it('turns a backend load failure into a 500 with the cause, and unknown routes into 404', async () => {
    const { post, app } = setup();
    const res = await post({ spec: specYaml('explode') });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { detail: string }).detail).toBe("backend load failed for kind=hf base='explode': Error: weights are corrupt");
    expect((await app.request('/nope')).status).toBe(404);
  });
});

describe('report text helpers', () => {
  it('appends request_seconds to the report text without touching the rest', async () => {
    const { withRequestSeconds } = await import('../../src/serve/app.js');
    expect(withRequestSeconds('{\n  "a": 1.0,\n  "b": NaN\n}', 0.25)).toBe('{\n  "a": 1.0,\n  "b": NaN,\n  "request_seconds": 0.25\n}');
    expect(withRequestSeconds('{}', 1)).toBe('{\n  "request_seconds": 1\n}');
    expect(() => withRequestSeconds('[1]', 1)).toThrow(/not an object/);
  });

  it('parses reports with bare NaN/Infinity tokens, leaving strings alone', async () => {
    const { parseReportJson } = await import('../../src/serve/client.js');
    expect(parseReportJson('{"x": NaN, "y": [-Infinity, 1.5], "m": "mean NaN, Infinity"}')).toEqual({ x: null, y: [null, 1.5], m: 'mean NaN, Infinity' });
    expect(() => parseReportJson('{"x": }')).toThrow();
  });
});

describe('POST /score', () => {
  const spec = 'version: 1\nmodels:\n  ft: {kind: hf, base: m1}\nsuite:\n  - {name: alpha, kind: delta_kl}\n  - {name: beta, kind: delta_kl}\n  - {name: gamma, kind: delta_kl}\n';
  const score = (app: ReturnType<typeof setup>['app'], body: unknown) =>
    app.request('/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('runs only the named probes and answers their results', async () => {
    const { app } = setup();
    const res = await score(app, { spec, probe_names: ['gamma', 'alpha'] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { probes: { name: string }[]; request_seconds: number };
    expect(body.probes.map((p) => p.name)).toEqual(['alpha', 'gamma']);
    expect(body.request_seconds, 'measured with the app clock around the run').toBe(1);
    const all = (await (await score(app, { spec })).json()) as { probes: unknown[] };
    expect(all.probes).toHaveLength(3);
  });

  it('rejects unknown probe names, listing the available ones, and probe_names on /run', async () => {
    const { app, post } = setup();
    const res = await score(app, { spec, probe_names: ['delta', 'alpha'] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toBe('probe_names not in the spec: [delta]; available: [alpha, beta, gamma]');
    const run = await post({ spec, probe_names: ['alpha'] });
    expect(run.status).toBe(400);
    expect(((await run.json()) as { detail: string }).detail).toBe('probe_names is only accepted by POST /score');
  });
});
