// The daemon with the real suite runtime and the local engine on the tiny fixtures: a
// warm second request skips the model load, and the report equals `sway run --json`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServeApp } from '../../src/serve/app.js';
import { BackendCache } from '../../src/serve/backend-cache.js';
import { ServeClient } from '../../src/serve/client.js';
import { createDefaultRuntime } from '../../src/serve/default-runtime.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { swayIn } from '../support/cli.js';
import { tinyFixtures } from '../support/fixtures.js';

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('sway serve with the real suite and engine', () => {
  it('runs the tiny-fixture spec twice, the second without a model load, same report as sway run --json', async () => {
    const fx = tinyFixtures('llama');
    const spec = `version: 1
models:
  base: {kind: hf, base: ${JSON.stringify(fx.base)}}
  ft: {kind: hf, base: ${JSON.stringify(fx.base)}, adapter: ${JSON.stringify(fx.trained)}}
suite:
  - {name: nullcal, kind: null_adapter, runs: 2, cache: false}
  - {name: dk, kind: delta_kl, prompts: ["The sky is", "The capital of France is"]}
`;
    const runtime = createDefaultRuntime();
    let loads = 0;
    const load: typeof runtime.loadBackend = async (model) => {
      loads += 1;
      return runtime.loadBackend(model);
    };
    const cache = new BackendCache({ maxSize: 2, load });
    server = await startServer({ app: createServeApp({ cache, runtime, apiKey: null }), cache, host: '127.0.0.1', port: 0, apiKey: null });
    const client = new ServeClient(server.url);
    const specPath = join(fx.root, 'serve.yaml');
    const cold = await client.run(spec, specPath);
    expect(loads).toBe(1);
    const warm = await client.run(spec, specPath);
    expect(loads, 'the second request reuses the loaded model').toBe(1);
    // same backend: the warm run is answered from the cold run's cached distributions
    const stat = (r: Record<string, unknown>, k: string) => (r['backend_stats'] as Record<string, number>)[k]!;
    expect(stat(cold, 'forward_passes')).toBeGreaterThan(0);
    expect(stat(warm, 'cache_hits')).toBeGreaterThan(stat(cold, 'cache_hits'));
    const probes = warm['probes'] as { name: string; verdict: string; z_score: number }[];
    expect(probes.map((p) => [p.name, p.verdict])).toEqual([['nullcal', 'pass'], ['dk', 'pass']]);
    expect((cold['probes'] as { z_score: number }[])[1]!.z_score).toBe(probes[1]!.z_score);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(specPath, spec);
    const out = join(fx.root, 'serve-run.json');
    expect((await swayIn(['run', specPath, '--json', out, '--quiet'])).code).toBe(0);
    const fromCli = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    expect((fromCli['probes'] as { z_score: number }[])[1]!.z_score).toBe(probes[1]!.z_score);
  });
});
