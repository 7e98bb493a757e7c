// The http backend's failure paths against a tiny in-test server: server errors, 429s,
// timeouts, a dead server, a wrong API key and malformed responses each end in one clear
// HttpBackendError (exit 2 from the CLI, or an ERROR probe), never a hang.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpBackend, HttpBackendError, createHttpBackend, httpOptionsFromSpec, type HttpBackendOptions } from '../../src/backends/http/index.js';
import { ModelSpecSchema } from '../../src/core/schema.js';
import { ViewUnavailableError } from '../../src/core/errors.js';
import { expectCleanError, swayIn } from '../support/cli.js';
import { echoResponse, modelsResponse, startTestServer, type Handler, type TestServer } from '../http/test-server.js';

const words = (text: string) => text.match(/\s*\S+/g) ?? [];

/** A well-behaved server for `served` names: echo logprobs of -0.5 per word, top-2 alternatives. */
function okHandler(served: string[]): Handler {
  return (req) => {
    if (req.path === '/v1/models') return { json: modelsResponse(served) };
    const body = req.body as { model: string; prompt: string; echo?: boolean; logprobs?: number };
    if (!served.includes(body.model)) return { status: 404, json: { error: { message: `The model \`${body.model}\` does not exist.` } } };
    if (body.echo) {
      const toks = words(body.prompt);
      return { json: echoResponse(body.model, toks, toks.map((_, i) => (i === 0 ? null : -0.5)), { token: ' x', logprob: -1 }) };
    }
    return { json: { choices: [{ text: ' a', logprobs: { tokens: [' a'], token_logprobs: [-0.1], top_logprobs: [{ ' a': -0.1, ' b': -2.5 }] } }] } };
  };
}

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function serve(h: Handler): Promise<TestServer> {
  const s = await startTestServer(h);
  servers.push(s);
  return s;
}

function options(url: string, extra: Partial<HttpBackendOptions> = {}): HttpBackendOptions {
  const spec = ModelSpecSchema.parse({ kind: 'http', base: 'base-model', base_url: url, views: { ft: 'ft-model' }, retries: 2, timeout_s: 5 });
  return { ...httpOptionsFromSpec(spec, {}), backoffMs: () => 1, ...extra };
}

async function failure(p: Promise<unknown>): Promise<HttpBackendError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(HttpBackendError);
  return err as HttpBackendError;
}

describe('http backend: scoring against a well-behaved server', () => {
  it('scores completions from echo logprobs, cutting the generated token off', async () => {
    const s = await serve(okHandler(['base-model', 'ft-model']));
    const b = await createHttpBackend(options(s.url));
    const lp = await b.asFinetuned((v) => v.logprobOf('The cat', ' sat down'));
    expect(lp).toBeCloseTo(-1.0, 12);
    const roll = await b.asBase((v) => v.rollingLogprob('one two three'));
    expect(roll.numTokens).toBe(3);
    expect(roll.totalLogprob).toBeCloseTo(-1.0, 12);
    const d = await b.asBase((v) => v.nextTokenDist('hi', 2));
    expect(Array.from(d.logprobs)).toEqual([-0.1, -2.5]);
    expect(d.tailLogprob).toBeCloseTo(Math.log(1 - Math.exp(-0.1) - Math.exp(-2.5)), 12);
    const sent = s.requests.filter((r) => r.path === '/v1/completions').map((r) => r.body as Record<string, unknown>);
    expect(sent[0]).toMatchObject({ model: 'ft-model', prompt: 'The cat sat down', echo: true, logprobs: 0, max_tokens: 1 });
    expect(sent[2]).toMatchObject({ model: 'base-model', prompt: 'hi', max_tokens: 1, logprobs: 2 });
    expect(b.stats()['http_requests']).toBe(4);
    // A repeated question is answered from the cache, not the server.
    await b.asFinetuned((v) => v.logprobOf('The cat', ' sat down'));
    expect(b.stats()['http_requests']).toBe(4);
  });

  it('caps top-k at the alternatives the server allows and reports that number', async () => {
    const s = await serve(okHandler(['base-model']));
    const b = await createHttpBackend({ ...options(s.url), views: {}, topLogprobs: 5 });
    await b.asBase((v) => v.nextTokenDist('hi', 256));
    expect((s.requests.at(-1)!.body as { logprobs: number }).logprobs).toBe(5);
    expect(b.stats()['top_logprobs_allowed']).toBe(5);
  });
});

describe('http backend: failures', () => {
  it('retries 5xx with backoff, then fails with one error naming the status', async () => {
    const s = await serve((req) => (req.path === '/v1/models' ? { json: modelsResponse(['base-model', 'ft-model']) } : { status: 503, text: 'overloaded' }));
    const b = await createHttpBackend(options(s.url));
    const err = await failure(b.asBase((v) => v.logprobOf('a', ' b')));
    expect(err.failure).toBe('server');
    expect(err.message).toMatch(/503: overloaded .*after 3 attempts/);
    expect(s.requests.filter((r) => r.path === '/v1/completions')).toHaveLength(3);
    expect(b.stats()['http_retries']).toBe(2);
  });

  it('retries a 429 and succeeds when the server recovers', async () => {
    const ok = okHandler(['base-model', 'ft-model']);
    let completions = 0;
    const s = await serve((req, i) => (req.path === '/v1/completions' && completions++ === 0 ? { status: 429, text: 'slow down' } : ok(req, i)));
    const b = await createHttpBackend(options(s.url));
    expect(await b.asBase((v) => v.logprobOf('a', ' b c'))).toBeCloseTo(-1, 12);
    expect(b.stats()['http_retries']).toBe(1);
  });

  it('does not retry a 400 and names the body', async () => {
    const s = await serve((req) => (req.path === '/v1/models' ? { json: modelsResponse(['base-model', 'ft-model']) } : { status: 400, json: { error: { message: 'logprobs must be <= 20' } } }));
    const b = await createHttpBackend(options(s.url));
    const err = await failure(b.asBase((v) => v.nextTokenDist('a', 50)));
    expect(err.failure).toBe('client');
    expect(err.message).toContain('logprobs must be <= 20');
    expect(s.requests.filter((r) => r.path === '/v1/completions')).toHaveLength(1);
  });

  it('a request that never answers times out (and is retried) instead of hanging', async () => {
    const s = await serve((req) => (req.path === '/v1/models' ? { json: modelsResponse(['base-model', 'ft-model']) } : 'hang'));
    const b = await createHttpBackend({ ...options(s.url), timeoutS: 0.2, retries: 1 });
    const err = await failure(b.asBase((v) => v.rollingLogprob('a b')));
    expect(err.failure).toBe('timeout');
    expect(err.message).toMatch(/timed out after 0.2 s.*timeout_s.*after 2 attempts/);
    expect(s.requests.filter((r) => r.path === '/v1/completions')).toHaveLength(2);
  });

  it('a dead server fails at connect with the URL and a hint', async () => {
    const s = await serve(okHandler([]));
    const url = s.url;
    await s.close();
    servers = [];
    const err = await failure(createHttpBackend({ ...options(url), retries: 1 }));
    expect(err.failure).toBe('unreachable');
    expect(err.message).toContain(`${url}/v1/models`);
    expect(err.message).toMatch(/is the server running/);
  });

  it('a dropped connection is retried like a dead server', async () => {
    const ok = okHandler(['base-model', 'ft-model']);
    const s = await serve((req, i) => (req.path === '/v1/completions' ? 'drop' : ok(req, i)));
    const b = await createHttpBackend({ ...options(s.url), retries: 1 });
    expect((await failure(b.asBase((v) => v.logprobOf('a', ' b')))).failure).toBe('unreachable');
    expect(s.requests.filter((r) => r.path === '/v1/completions')).toHaveLength(2);
  });

  it('a wrong API key: one error naming the variable, never the key', async () => {
    const s = await serve((req) => (req.headers.authorization === 'Bearer right-key' ? { json: modelsResponse(['base-model', 'ft-model']) } : { status: 401, json: { detail: 'Invalid API Key' } }));
    const spec = ModelSpecSchema.parse({ kind: 'http', base: 'base-model', base_url: s.url, api_key_env: 'MY_SERVER_KEY', views: { ft: 'ft-model' } });
    const err = await failure(createHttpBackend(httpOptionsFromSpec(spec, { MY_SERVER_KEY: 'wrong-key-123' })));
    expect(err.failure).toBe('auth');
    expect(err.message).toContain('MY_SERVER_KEY');
    expect(err.message).not.toContain('wrong-key-123');
    expect(s.requests).toHaveLength(1);
    const good = await createHttpBackend(httpOptionsFromSpec(spec, { MY_SERVER_KEY: 'right-key' }));
    expect(good).toBeInstanceOf(HttpBackend);
    expect(JSON.stringify(good.stats())).not.toContain('right-key');
    expect(good.identity()).not.toContain('right-key');
  });

  it('api_key_env naming an unset variable is a spec error', () => {
    const spec = ModelSpecSchema.parse({ kind: 'http', base: 'm', base_url: 'http://127.0.0.1:1', api_key_env: 'NOT_SET_ANYWHERE' });
    expect(() => httpOptionsFromSpec(spec, {})).toThrow(/NOT_SET_ANYWHERE.*not set/);
  });

  it('malformed responses: non-JSON, wrong shape, missing logprobs, non-finite values', async () => {
    const bodies: unknown[] = [
      '<html>gateway</html>',
      { foo: 1 },
      { choices: [{ text: 'x' }] },
      { choices: [{ text: 'x', logprobs: { tokens: ['a', ' b'], token_logprobs: [null], top_logprobs: null } }] },
    ];
    for (const body of bodies) {
      const s = await serve((req) => (req.path === '/v1/models' ? { json: modelsResponse(['base-model', 'ft-model']) } : typeof body === 'string' ? { text: body } : { json: body }));
      const b = await createHttpBackend(options(s.url));
      const err = await failure(b.asBase((v) => v.logprobOf('a', ' b')));
      expect(err.failure, JSON.stringify(body)).toBe('malformed');
    }
    const s = await serve((req) => (req.path === '/v1/models' ? { text: 'not json' } : { json: {} }));
    expect((await failure(createHttpBackend(options(s.url)))).failure).toBe('malformed');
  });

  it('a served name the server does not list fails at connect, listing what it serves', async () => {
    const s = await serve(okHandler(['base-model', 'other']));
    const err = await failure(createHttpBackend(options(s.url)));
    expect(err.failure).toBe('config');
    expect(err.message).toMatch(/does not serve 'ft-model' \(views.ft\); it serves: base-model, other/);
  });

  it('a view the server cannot provide is refused with the reason; without any, the capability is absent', async () => {
    const s = await serve(okHandler(['base-model', 'ft-model', 'n0']));
    const b = await createHttpBackend({ ...options(s.url), views: { ft: 'ft-model', null_0: 'n0' } });
    expect(b.asScaledAdapter).toBeUndefined();
    expect(await b.asNullAdapter!(0, {}, async (v) => v.id)).toBe('null_0');
    const err = await b.asNullAdapter!(1, {}, (v) => v.nextTokenDist('a', 2)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ViewUnavailableError);
    expect((err as Error).message).toMatch(/no view 'null_1'.*views:/);
  });
});

describe('http backend through the CLI', () => {
  function specFile(url: string, extra = ''): string {
    const dir = mkdtempSync(join(tmpdir(), 'sway-http-cli-'));
    const file = join(dir, 'sway.yaml');
    writeFileSync(
      file,
      `version: 1\nmodels:\n  base: {kind: http, base: base-model, base_url: "${url}"}\n  ft: {kind: http, base: base-model, base_url: "${url}", retries: 0, views: {ft: ft-model}${extra}}\nsuite:\n  - {name: dk, kind: delta_kl, prompts: ["The sky is"]}\n`,
    );
    return file;
  }

  it('sway run against a dead server: exit 2, one line, no stack trace', async () => {
    const s = await serve(okHandler([]));
    const url = s.url;
    await s.close();
    servers = [];
    const r = await swayIn(['run', specFile(url)]);
    expect(expectCleanError(r)).toMatch(/http backend: cannot reach .*\/v1\/models/);
  });

  it('sway run with a wrong key: exit 2 naming the variable', async () => {
    const s = await serve(() => ({ status: 401, json: { detail: 'Invalid API Key' } }));
    const r = await swayIn(['run', specFile(s.url, ', api_key_env: SWAY_TEST_KEY')], { env: { SWAY_TEST_KEY: 'nope-secret' } });
    const msg = expectCleanError(r);
    expect(msg).toContain('SWAY_TEST_KEY');
    expect(msg).not.toContain('nope-secret');
  });

  it('a probe needing a view the server does not offer SKIPs with the reason', async () => {
    const s = await serve(okHandler(['base-model', 'ft-model', 'half']));
    const dir = mkdtempSync(join(tmpdir(), 'sway-http-skip-'));
    const file = join(dir, 'sway.yaml');
    writeFileSync(file, `version: 1\nmodels:\n  base: {kind: http, base: base-model, base_url: "${s.url}"}\n  ft: {kind: http, base: base-model, base_url: "${s.url}", views: {ft: ft-model, scaled_0.50: half}}\nsuite:\n  - {name: abl, kind: adapter_ablation, prompts: ["The sky is"], lambdas: [0, 0.5, 1, 1.25]}\n`);
    const out = join(dir, 'report.json');
    const r = await swayIn(['run', file, '--json', out]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { probes: { verdict: string; message: string }[] };
    expect(report.probes[0]!.verdict).toBe('skip');
    expect(report.probes[0]!.message).toMatch(/no view 'scaled_1.25'/);
  });

  it('a server that fails mid-run turns the probe into ERROR with the reason', async () => {
    const s = await serve((req) => (req.path === '/v1/models' ? { json: modelsResponse(['base-model', 'ft-model']) } : { status: 500, text: 'CUDA out of memory' }));
    const out = join(mkdtempSync(join(tmpdir(), 'sway-http-report-')), 'report.json');
    const r = await swayIn(['run', specFile(s.url), '--json', out]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { probes: { verdict: string; message: string }[] };
    expect(report.probes[0]!.verdict).toBe('error');
    expect(report.probes[0]!.message).toContain('CUDA out of memory');
  });
});
