import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { SUPPORTED_FAMILIES } from '../../src/engine/families.js';
import { toJson } from '../../src/report/json.js';
import { snapshotSuite } from '../report/fixture.js';
import { expectCleanError, sway, swayIn } from '../support/cli.js';
import { tinyFixtures } from '../support/fixtures.js';

function run(label: string, dkScore: number, overall: number, dir: string): string {
  const { suite, score } = snapshotSuite();
  suite.probes[0] = { ...suite.probes[0]!, score: dkScore };
  const f = join(dir, `${label}.json`);
  writeFileSync(f, toJson(suite, { ...score, overall }));
  return f;
}

describe('compare, diff, doctor', () => {
  it('compare prints the history matrix and fails on a regression when asked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sway-cmp-'));
    const files = [run('v1', 0.8, 0.75, dir), run('v2', 0.82, 0.81, dir), run('v3', 0.65, 0.72, dir)];
    const r = await swayIn(['compare', ...files, '--fail-on-regression', '0.1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('| probe | v1 | v2 | v3 | Δ v1→v2 | Δ v2→v3 |');
    expect(r.stdout).toContain('| dk | 0.80 | 0.82 | 0.65 | +0.02 | -0.17 |');
    expect(r.stdout).toContain('- **dk** — `-0.170`');
    expect((await swayIn(['compare', ...files])).code).toBe(0);
    const json = JSON.parse((await swayIn(['compare', ...files, '--format', 'json'])).stdout);
    expect(json.composite_series).toEqual([0.75, 0.81, 0.72]);
    // the one spawned case of `sway compare`
    expectCleanError(sway(['compare', files[0]!]));
  });

  it('diff runs one suite on two adapters', async () => {
    const fx = tinyFixtures('llama');
    const dir = mkdtempSync(join(tmpdir(), 'sway-diff-'));
    const spec = join(dir, 'sway.yaml');
    writeFileSync(spec, `version: 1\nmodels:\n  base: {kind: hf, base: ${JSON.stringify(fx.base)}}\n  ft: {kind: hf, base: ${JSON.stringify(fx.base)}, adapter: ${JSON.stringify(fx.trained)}}\nsuite:\n  - {name: dk, kind: delta_kl, prompts: ["The sky is"]}\n`);
    // the one spawned case of `sway diff` (test/suite/warnings.test.ts runs it in-process)
    const r = sway(['diff', spec, '--a', fx.random, '--b', fx.trained, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/overall {2}A: \d\.\d\d {3}B: \d\.\d\d/);
    expect(r.stdout).toMatch(/dk\s+0\.\d\d {2}→ {2}0\.9\d {3}\(\+0\.\d\d\)/);
  });

  it('doctor reports the engine', async () => {
    // the one spawned case of `sway doctor`
    // The engine's warm-start cache: one entry stored by a load, its checkpoint hard-linked.
    const fx = tinyFixtures('llama');
    const cacheDir = mkdtempSync(join(tmpdir(), 'sway-doctor-cache-'));
    await (await Engine.load({ base: fx.base, threads: 1, cacheDir })).close();
    const r = JSON.parse(sway(['doctor', '--json'], { env: { SWAY_ENGINE_CACHE: 'on', SWAY_ENGINE_CACHE_DIR: cacheDir } }).stdout);
    expect(r.engine_cache).toEqual({ dir: cacheDir, entries: 1, own_bytes: expect.any(Number), linked_files: [join(fx.base, 'model.safetensors')] });
    expect(r.engine_cache.own_bytes).toBeGreaterThan(0);
    expect(r.engine_cache.own_bytes).toBeLessThan(statSync(join(fx.base, 'model.safetensors')).size);
    const text = await swayIn(['doctor'], { env: { SWAY_ENGINE_CACHE: 'off' } });
    expect(text.stdout).toContain('engine warm-start cache: off');
    expect(r.backends.hf.available).toBe(true);
    expect(r.probe_kinds).toContain('delta_kl');
    expect(r.families).toEqual(SUPPORTED_FAMILIES);
    expect(r.families).toEqual(expect.arrayContaining(['llama', 'gemma4', 'phi3', 'gpt2', 'gpt_neox']));
  });
});
