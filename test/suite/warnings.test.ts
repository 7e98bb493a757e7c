// One warning path: spec, loader and backend warnings reach stderr, the JSON report's
// `warnings` and sway serve's answers.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DummyDifferentialBackend } from '../../src/backends/dummy.js';
import { fromJson, toJson } from '../../src/report/json.js';
import { createServeApp } from '../../src/serve/app.js';
import { BackendCache } from '../../src/serve/backend-cache.js';
import { createDefaultRuntime } from '../../src/serve/default-runtime.js';
import { executeSpec, loadSpecText } from '../../src/suite/execute.js';
import { swayIn } from '../support/cli.js';
import { tinyFixtures } from '../support/fixtures.js';

const fx = tinyFixtures('llama');

function specText(adapter: string, modelExtra = ''): string {
  return `version: 1
models:
  base: {kind: hf, base: ${JSON.stringify(fx.base)}${modelExtra}}
  ft: {kind: hf, base: ${JSON.stringify(fx.base)}, adapter: ${JSON.stringify(adapter)}${modelExtra}}
suite:
  - {name: dk, kind: delta_kl, prompts: ["The sky is"]}
`;
}

function writeSpec(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'sway-warn-')), 'sway.yaml');
  writeFileSync(f, text);
  return f;
}

describe('warnings', () => {
  it('sway run on an adapter with a saved vision_tower prints the unused-module warning and records it in the JSON', async () => {
    const f = writeSpec(specText(fx.modulesToSave));
    const out = join(f, '..', 'report.json');
    const r = await swayIn(['run', f, '--json', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('sway: warning: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/modules_to_save .* never runs; .*vision_tower/);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { warnings?: string[]; probes: { verdict: string }[] };
    expect(report.warnings).toEqual([lines[0]!.slice('sway: warning: '.length)]);
    expect(report.probes[0]!.verdict).not.toBe('error');
    // and the report reads back with them
    expect(fromJson(readFileSync(out, 'utf8')).suite.warnings).toEqual(report.warnings);
  });

  it('a clean run has no warnings and no `warnings` key (the reference layout)', async () => {
    const f = writeSpec(specText(fx.trained));
    const out = join(f, '..', 'report.json');
    const r = await swayIn(['run', f, '--json', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('warning');
    expect(JSON.parse(readFileSync(out, 'utf8'))).not.toHaveProperty('warnings');
  });

  it('device: cuda and dtype: bf16 are warned about once each, naming the keys and what sway does instead', async () => {
    const loaded = loadSpecText(specText(fx.trained, ', device: cuda, dtype: bf16'), 'gpu.yaml', tmpdir());
    const seen: string[] = [];
    const { suite, score } = await executeSpec(loaded, { backend: new DummyDifferentialBackend(), onWarning: (w) => seen.push(w) });
    expect(seen).toEqual([
      'gpu.yaml: models.base.dtype: bf16, models.ft.dtype: bf16 — ignored: the local engine converts bf16/fp16 weights to fp32 and computes in fp32; remove the key or set it to auto or fp32 to silence this',
      'gpu.yaml: models.base.device: cuda, models.ft.device: cuda — ignored: the local engine runs on the CPU through ONNX Runtime; remove the key or set it to auto or cpu to silence this',
    ]);
    expect(suite.warnings).toEqual(seen);
    expect(JSON.parse(toJson(suite, score)).warnings).toEqual(seen);
    // auto / cpu / fp32 say nothing
    const quiet: string[] = [];
    await executeSpec(loadSpecText(specText(fx.trained, ', device: cpu, dtype: fp32'), 'cpu.yaml', tmpdir()), { backend: new DummyDifferentialBackend(), onWarning: (w) => quiet.push(w) });
    expect(quiet).toEqual([]);
  });

  it('sway diff runs the suite twice but shows each warning once', async () => {
    const f = writeSpec(specText(fx.trained, ', device: cuda'));
    const r = await swayIn(['diff', f, '--a', fx.modulesToSave, '--b', fx.modulesToSave, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('sway: warning: '));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/models\.base\.device: cuda, models\.ft\.device: cuda — ignored/);
    expect(lines[1]).toMatch(/vision_tower/);
  });

  it('sway serve answers carry the warnings: /run in the report, /score beside the probes', async () => {
    const runtime = createDefaultRuntime();
    const cache = new BackendCache({ maxSize: 1, load: runtime.loadBackend });
    const app = createServeApp({ cache, runtime });
    try {
      const body = JSON.stringify({ spec: specText(fx.modulesToSave, ', device: cuda'), spec_path: join(fx.root, 'serve.yaml') });
      const post = (route: string) => app.request(route, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const run = (await (await post('/run')).json()) as { warnings?: string[] };
      expect(run.warnings).toHaveLength(2);
      expect(run.warnings![0]).toMatch(/models\.base\.device: cuda, models\.ft\.device: cuda — ignored/);
      expect(run.warnings![1]).toMatch(/vision_tower/);
      const score = (await (await post('/score')).json()) as { warnings: string[]; probes: unknown[] };
      expect(score.warnings).toEqual(run.warnings);
      expect(score.probes).toHaveLength(1);
    } finally {
      await cache.evictAll();
    }
  });
});
