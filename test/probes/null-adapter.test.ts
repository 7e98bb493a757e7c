import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DummyDifferentialBackend } from '../../src/backends/dummy.js';
import { TwoModelDifferential } from '../../src/backends/two-model.js';
import { cacheFile, computeCacheKey, loadNullCache, nullCacheRoot } from '../../src/probes/null-cache.js';
import type { NullStat } from '../../src/core/results.js';
import { runRaw, withoutBatching } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sway-null-'));
  vi.stubEnv('SWAY_NULL_CACHE_DIR', dir);
  vi.stubEnv('SWAY_DISABLE_NULL_CACHE', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

const entry = { name: 'null', kind: 'null_adapter', runs: 3, calibrate_kinds: ['delta_kl', 'adapter_ablation', 'not_a_kind'] };

describe('null_adapter', () => {
  it('calibrates delta_kl over the seeds with population std and records opt-outs', async () => {
    const b = new DummyDifferentialBackend();
    const r = await runRaw(entry, b);
    expect(r.verdict).toBe('pass');
    expect(r.score).toBe(1);
    expect(r.raw).toBeNull();
    const ev = r.evidence;
    const stats = (ev['null_stats'] as Record<string, NullStat>)['delta_kl']!;
    const samples = (ev['per_kind_raw_samples'] as Record<string, number[]>)['delta_kl']!;
    expect(samples).toHaveLength(3);
    const m = samples.reduce((a, c) => a + c, 0) / 3;
    const sd = Math.sqrt(samples.reduce((a, c) => a + (c - m) ** 2, 0) / 3);
    expect(stats).toEqual({ mean: m, std: Math.max(sd, 1e-6), n: 3, degenerate: 0 });
    expect(sd).toBeGreaterThan(0);
    expect(ev['skipped_kinds']).toEqual([{ kind: 'adapter_ablation', reason: 'probe opted out (calibrate_spec returned None)' }]);
    expect(ev['calibrated_kinds']).toEqual(['delta_kl']);
    expect(Object.keys(ev['null_stats_by_rank'] as object)).toEqual(['rank_1.00']);
    expect(r.message).toBe('null calibration: 1 kinds calibrated over 3 seeds (1 opted out)');
    expect(ev['from_cache']).toBe(false);
    // the plain dummy has no identity: nothing written
    expect(readdirSync(dir)).toEqual([]);
  });

  it('multi-rank groups widen with the multiplier; message lists ranks', async () => {
    const r = await runRaw({ ...entry, calibrate_kinds: ['delta_kl'], rank_multipliers: [0.5, 1.0, 2.0] }, new DummyDifferentialBackend());
    const byRank = r.evidence['null_stats_by_rank'] as Record<string, Record<string, NullStat>>;
    expect(Object.keys(byRank)).toEqual(['rank_0.50', 'rank_1.00', 'rank_2.00']);
    const sds = ['rank_0.50', 'rank_1.00', 'rank_2.00'].map((k) => byRank[k]!['delta_kl']!.mean);
    expect(sds[0]).toBeLessThan(sds[1]!);
    expect(sds[1]).toBeLessThan(sds[2]!);
    expect(r.message).toBe('null calibration: 1 kinds × 3 ranks [0.5x, 1x, 2x] over 3 seeds');
    expect(r.evidence['null_stats']).toEqual(byRank['rank_1.00']);
  });

  it('prefetches every seed × rank in one batch; per-view backends give identical stats', async () => {
    const spec = { ...entry, runs: 2, calibrate_kinds: ['delta_kl'], rank_multipliers: [0.5, 1.0, 2.0] };
    const b = new DummyDifferentialBackend();
    const batched = await runRaw(spec, b);
    expect(b.stats()['batches_sent']).toBe(1);
    expect(b.stats()['null_forward_passes']).toBe(4 * 2 * 3);
    const plain = await runRaw(spec, withoutBatching(new DummyDifferentialBackend()));
    expect(plain.evidence['null_stats_by_rank']).toEqual(batched.evidence['null_stats_by_rank']);
  });

  it('uses downstream kinds when calibrate_kinds is empty; runs: 1 is degenerate', async () => {
    const r = await runRaw({ name: 'n', kind: 'null_adapter', runs: 1 }, new DummyDifferentialBackend(), { downstreamKinds: ['delta_kl', 'null_adapter', 'delta_kl'] });
    expect(r.evidence['calibrated_kinds']).toEqual(['delta_kl']);
    expect((r.evidence['null_stats'] as Record<string, NullStat>)['delta_kl']).toMatchObject({ n: 1, std: 1e-6, degenerate: 1 });
  });

  it('rejects bad multipliers and SKIPs without null support', async () => {
    const bad = await runRaw({ ...entry, rank_multipliers: [1, -0.5, '.nan'] }, new DummyDifferentialBackend());
    expect(bad.verdict).toBe('error');
    expect(bad.message).toBe('rank_multipliers must be positive and finite; got [1.0, -0.5, nan]');
    const two = new TwoModelDifferential({ base: new DummyDifferentialBackend(), ft: new DummyDifferentialBackend() });
    const skip = await runRaw(entry, two);
    expect(skip.verdict).toBe('skip');
    expect(skip.message).toBe('backend does not implement NullCalibratedBackend — numeric probes will fall back to fixed thresholds');
  });
});

describe('null-stats disk cache', () => {
  it('root honours the env, key needs an identity', () => {
    expect(nullCacheRoot()).toBe(dir);
    expect(nullCacheRoot({ XDG_CACHE_HOME: '/x' })).toBe('/x/dlm-sway/null-stats');
    expect(computeCacheKey(null, { a: 1 })).toBeNull();
    expect(computeCacheKey('id', { a: 1, b: [2] })).toBe(computeCacheKey('id', { b: [2], a: 1 }));
    expect(computeCacheKey('id', { a: 1 })).toMatch(/^[0-9a-f]{32}$/);
  });

  it('miss writes atomically, hit performs no null forward passes and reproduces the stats', async () => {
    const spec = { ...entry, calibrate_kinds: ['delta_kl'], rank_multipliers: [1.0, 2.0] };
    const first = new DummyDifferentialBackend({ identity: 'dummy:test' });
    const r1 = await runRaw(spec, first);
    expect(r1.evidence['from_cache']).toBe(false);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{32}\.json$/);
    expect(first.stats()['null_forward_passes']).toBeGreaterThan(0);

    const second = new DummyDifferentialBackend({ identity: 'dummy:test' });
    const r2 = await runRaw(spec, second);
    expect(second.stats()['null_forward_passes']).toBe(0);
    expect(r2.evidence['from_cache']).toBe(true);
    expect(r2.evidence['null_stats']).toEqual(r1.evidence['null_stats']);
    expect(r2.evidence['null_stats_by_rank']).toEqual(r1.evidence['null_stats_by_rank']);
    expect(r2.message).toBe('null calibration: 1 kinds × 2 ranks (loaded from cache)');

    const r3 = await runRaw({ ...spec, cache: false }, new DummyDifferentialBackend({ identity: 'dummy:test' }));
    expect(r3.evidence['from_cache']).toBe(false);
    vi.stubEnv('SWAY_DISABLE_NULL_CACHE', '1');
    const r4 = await runRaw(spec, new DummyDifferentialBackend({ identity: 'dummy:test' }));
    expect(r4.evidence['from_cache']).toBe(false);
  });

  it('a corrupt or foreign file is ignored with a warning and recomputed', async () => {
    const spec = { ...entry, calibrate_kinds: ['delta_kl'] };
    await runRaw(spec, new DummyDifferentialBackend({ identity: 'dummy:test' }));
    const [file] = readdirSync(dir);
    const path = join(dir, file!);
    const good = readFileSync(path, 'utf8');
    const warn = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);

    writeFileSync(path, '{ not json');
    const r1 = await runRaw(spec, new DummyDifferentialBackend({ identity: 'dummy:test' }));
    expect(r1.evidence['from_cache']).toBe(false);
    expect(String(warn.mock.calls.at(-1)?.[0])).toMatch(/not valid JSON — ignoring it and recomputing/);
    expect(readFileSync(path, 'utf8')).toBe(good); // recomputed and rewritten

    const foreign = JSON.parse(good) as Record<string, unknown>;
    foreign['key'] = '0'.repeat(32);
    writeFileSync(path, JSON.stringify(foreign));
    const r2 = await runRaw(spec, new DummyDifferentialBackend({ identity: 'dummy:test' }));
    expect(r2.evidence['from_cache']).toBe(false);
    expect(String(warn.mock.calls.at(-1)?.[0])).toMatch(/belongs to another key/);

    writeFileSync(path, JSON.stringify({ ...foreign, key: file!.slice(0, 32), null_stats_by_rank: 'x' }));
    expect(loadNullCache(file!.slice(0, 32))).toBeNull();
    expect(String(warn.mock.calls.at(-1)?.[0])).toMatch(/unexpected shape/);
    expect(cacheFile('k')).toBe(join(dir, 'k.json'));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
