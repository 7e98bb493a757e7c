/**
 * Null calibration end to end on the tiny generated fixture and the local engine backend:
 * rank groups, null spread rising with the rank multiplier, batched multi-rank cost,
 * delta_kl z for a trained vs a random adapter, and the disk cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEngineBackend, type EngineBackend } from '../../src/backends/engine.js';
import { TRAINED_PAIRS, buildRandomAdapter, openModel, writeAdapter, writeTinyFixture } from '../../src/engine/fixtures/index.js';
import type { NullStat, ProbeResult } from '../../src/core/results.js';
import { runRaw } from '../probes/helpers.js';

let root: string;
let trained: EngineBackend;
let random: EngineBackend;
const prompts = TRAINED_PAIRS.map((p) => p.prompt);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sway-e2e-cal-'));
  writeTinyFixture(join(root, 'fx'), { family: 'llama', seed: 3 });
  trained = await createEngineBackend({ base: join(root, 'fx', 'base'), adapter: join(root, 'fx', 'adapters', 'trained') });
  random = await createEngineBackend({ base: join(root, 'fx', 'base'), adapter: join(root, 'fx', 'adapters', 'random') });
  vi.stubEnv('SWAY_NULL_CACHE_DIR', join(root, 'null-cache'));
  vi.stubEnv('SWAY_DISABLE_NULL_CACHE', '');
}, 120_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await trained?.close();
  await random?.close();
  rmSync(root, { recursive: true, force: true });
});

const nullEntry = { name: 'null', kind: 'null_adapter', runs: 2, calibrate_kinds: ['delta_kl'], cache: false };

async function deltaKlAfterNull(backend: EngineBackend, nullResult: ProbeResult): Promise<ProbeResult> {
  return runRaw({ name: 'dk', kind: 'delta_kl', prompts }, backend, {
    topK: 256,
    nullStats: nullResult.evidence['null_stats'] as Record<string, NullStat>,
    nullStatsByRank: nullResult.evidence['null_stats_by_rank'] as Record<string, Record<string, NullStat>>,
  });
}

describe('null calibration on the engine backend', () => {
  it('three rank groups with n == 2 and std rising with the multiplier; batched ranks cost < 4x one rank', async () => {
    // Fresh seeds per timed run so the backend's forward cache never serves a null view.
    let seedBase = 5000;
    const timed = async (mults: number[]): Promise<[number, ProbeResult]> => {
      seedBase += 100;
      const t = performance.now();
      const res = await runRaw({ ...nullEntry, seed_base: seedBase, rank_multipliers: mults }, trained);
      return [performance.now() - t, res];
    };
    await timed([1.0]); // warm-up
    let one = Infinity;
    let three = Infinity;
    for (let i = 0; i < 3; i++) {
      one = Math.min(one, (await timed([1.0]))[0]);
      three = Math.min(three, (await timed([0.5, 1.0, 2.0]))[0]);
    }
    const r = await runRaw({ ...nullEntry, rank_multipliers: [0.5, 1.0, 2.0] }, trained);
    expect(r.verdict).toBe('pass');
    const byRank = r.evidence['null_stats_by_rank'] as Record<string, Record<string, NullStat>>;
    expect(Object.keys(byRank)).toEqual(['rank_0.50', 'rank_1.00', 'rank_2.00']);
    const stds = ['rank_0.50', 'rank_1.00', 'rank_2.00'].map((k) => {
      const s = byRank[k]!['delta_kl']!;
      expect(s.n).toBe(2);
      expect(s.std).toBeGreaterThan(1e-6);
      return s.std;
    });
    expect(stds[0]).toBeLessThan(stds[1]!);
    expect(stds[1]).toBeLessThan(stds[2]!);
    expect(three).toBeLessThan(4 * one);
    process.stderr.write(`[calibration e2e] one rank ${one.toFixed(0)} ms, three ranks ${three.toFixed(0)} ms\n`);
  }, 120_000);

  it('delta_kl z >= 3 for the trained adapter and |z| < 2 for the random one', async () => {
    const spec = { ...nullEntry, runs: 4 };
    const zt = await deltaKlAfterNull(trained, await runRaw(spec, trained));
    const zr = await deltaKlAfterNull(random, await runRaw(spec, random));
    process.stderr.write(`[calibration e2e] delta_kl z trained ${zt.z_score} random ${zr.z_score}\n`);
    expect(zt.z_score).not.toBeNull();
    expect(zt.z_score!).toBeGreaterThanOrEqual(3);
    expect(zt.verdict).toBe('pass');
    expect(Math.abs(zr.z_score!)).toBeLessThan(2);
  }, 120_000);

  it('a cached second run performs no forward passes and reproduces z to the printed digit', async () => {
    const spec = { ...nullEntry, runs: 3, cache: true };
    const first = await runRaw(spec, trained);
    expect(first.evidence['from_cache']).toBe(false);
    // A fresh backend: its forward cache is empty, so any null work would show up as passes.
    const fresh = await createEngineBackend({ base: join(root, 'fx', 'base'), adapter: join(root, 'fx', 'adapters', 'trained') });
    const second = await runRaw(spec, fresh);
    expect(fresh.stats()['forward_passes']).toBe(0);
    await fresh.close();
    expect(second.evidence['from_cache']).toBe(true);
    const a = await deltaKlAfterNull(trained, first);
    const b = await deltaKlAfterNull(trained, second);
    expect(b.message).toBe(a.message);
    expect(b.z_score).toBe(a.z_score);
  }, 120_000);

  it('preflight passes on a finite adapter and fails on a NaN one', async () => {
    expect((await trained.preflightFiniteCheck()).ok).toBe(true);
    const base = join(root, 'fx', 'base');
    const model = openModel(base);
    const files = buildRandomAdapter(model, { seed: 9, rank: 4, baseModel: base, std: 0.2 });
    model.close();
    const nan = { ...files, tensors: files.tensors.map((t, i) => (i === 0 ? { ...t, data: new Float32Array(t.data.length).fill(NaN) } : t)) };
    writeAdapter(join(root, 'nan'), nan);
    const bad = await createEngineBackend({ base, adapter: join(root, 'nan') });
    try {
      const pre = await bad.preflightFiniteCheck();
      expect(pre.ok).toBe(false);
      expect(pre.reason).toMatch(/non-finite/);
    } finally {
      await bad.close();
    }
  }, 60_000);
});
