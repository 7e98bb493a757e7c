import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineBackend } from '../../src/backends/engine.js';
import type { NullStat } from '../../src/core/results.js';
import { executeSpec, loadSpecText } from '../../src/suite/execute.js';
import { tinyFixtures } from '../support/fixtures.js';

const PROMPTS = ['The capital of France is', 'Once upon a time there was a', 'The sky is', 'An interesting fact is that water'];

function spec(base: string, adapter: string, nullEntry: string, extra = ''): string {
  return `version: 1
models:
  base: {kind: hf, base: ${JSON.stringify(base)}}
  ft: {kind: hf, base: ${JSON.stringify(base)}, adapter: ${JSON.stringify(adapter)}}
defaults: {top_k: 512}
suite:
${nullEntry}
${extra}`;
}

const deltaKl = `  - name: dk
    kind: delta_kl
    prompts: ${JSON.stringify(PROMPTS)}`;

describe('null calibration contract on the tiny model (engine backend)', () => {
  const fx = tinyFixtures('llama');
  let backend: EngineBackend;
  beforeAll(async () => {
    backend = await EngineBackend.create({ base: fx.base, adapter: fx.trained, threads: 2 });
  });
  afterAll(() => backend.close());

  const run = (text: string) => executeSpec(loadSpecText(text, 'calibration.yaml', tmpdir()), { backend });

  it('three rank multipliers: exact groups, n == 2, std > 0 rising with the multiplier, all in the forward passes one multiplier needs', async () => {
    const multi = spec(fx.base, fx.trained, `  - name: nullcal\n    kind: null_adapter\n    runs: 2\n    rank_multipliers: [0.5, 1.0, 2.0]\n    calibrate_kinds: [delta_kl]\n    cache: false`);
    const single = spec(fx.base, fx.trained, `  - name: nullcal\n    kind: null_adapter\n    runs: 2\n    calibrate_kinds: [delta_kl]\n    cache: false`);
    // Fresh backends, so no answer cache carries work from one run to the other: the extra
    // multipliers' null views ride as rows of the same batched forwards.
    const counted = async (text: string) => {
      const b = await EngineBackend.create({ base: fx.base, adapter: fx.trained, threads: 2 });
      try {
        const out = await executeSpec(loadSpecText(text, 'calibration.yaml', tmpdir()), { backend: b });
        return { ...out, stats: b.stats() };
      } finally {
        await b.close();
      }
    };
    const one = await counted(single);
    const { suite, stats } = await counted(multi);
    expect(stats['forward_passes']).toBe(one.stats['forward_passes']);
    expect(stats['max_batch_size']!).toBeGreaterThan(one.stats['max_batch_size']!);
    const r = suite.probes[0]!;
    expect(r.verdict).toBe('pass');
    const byRank = r.evidence['null_stats_by_rank'] as Record<string, Record<string, NullStat>>;
    expect(Object.keys(byRank)).toEqual(['rank_0.50', 'rank_1.00', 'rank_2.00']);
    const stds = ['rank_0.50', 'rank_1.00', 'rank_2.00'].map((k) => {
      const s = byRank[k]!['delta_kl']!;
      expect(s.n).toBe(2);
      expect(s.std).toBeGreaterThan(1e-6);
      return s.std;
    });
    expect(stds[1]!).toBeGreaterThan(stds[0]!);
    expect(stds[2]!).toBeGreaterThan(stds[1]!);
  });

  it('delta_kl z >= 3 for the trained adapter and |z| < 2 for the random one', async () => {
    const nullEntry = `  - name: nullcal\n    kind: null_adapter\n    runs: 6\n    cache: false`;
    const trained = await run(spec(fx.base, fx.trained, nullEntry, deltaKl));
    expect(trained.suite.probes[1]!.z_score!).toBeGreaterThanOrEqual(3);
    expect(trained.suite.probes[1]!.verdict).toBe('pass');
    const randomBackend = await EngineBackend.create({ base: fx.base, adapter: fx.random, threads: 2 });
    try {
      const random = await executeSpec(loadSpecText(spec(fx.base, fx.random, nullEntry, deltaKl), 'r.yaml', tmpdir()), { backend: randomBackend });
      const z = random.suite.probes[1]!.z_score;
      expect(z, 'delta_kl is calibrated, so it has a z-score').toBeTypeOf('number');
      expect(Number.isFinite(z)).toBe(true);
      expect(Math.abs(z!)).toBeLessThan(2);
    } finally {
      await randomBackend.close();
    }
  });

  it('a cached second run performs no null forward passes and reproduces z to the last printed digit', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'sway-null-cache-'));
    process.env['SWAY_NULL_CACHE_DIR'] = cacheDir;
    try {
      const text = spec(fx.base, fx.trained, `  - name: nullcal\n    kind: null_adapter\n    runs: 3`, deltaKl);
      const first = await run(text);
      expect(readdirSync(cacheDir).filter((f) => f.endsWith('.json'))).toHaveLength(1);
      // A fresh backend (empty in-memory answer cache): only the preflight and delta_kl's own
      // forward (base+ft rows in one batch) remain; no null view is computed.
      const fresh = await EngineBackend.create({ base: fx.base, adapter: fx.trained, threads: 2 });
      let second;
      try {
        second = await executeSpec(loadSpecText(text, 'calibration.yaml', tmpdir()), { backend: fresh });
        expect(fresh.stats()['forward_passes']).toBe(2);
      } finally {
        await fresh.close();
      }
      expect(second.suite.probes[0]!.evidence['from_cache']).toBe(true);
      expect(second.suite.probes[1]!.z_score!.toFixed(2)).toBe(first.suite.probes[1]!.z_score!.toFixed(2));
      expect(second.suite.probes[1]!.message).toBe(first.suite.probes[1]!.message);
    } finally {
      delete process.env['SWAY_NULL_CACHE_DIR'];
    }
  });

  it('a NaN adapter is refused at load, naming the file and the tensor (issue 12)', async () => {
    const { writeAdapter, loraConfig, randomLoraTensors } = await import('../../src/engine/fixtures/adapters.js');
    const { loadArch } = await import('../../src/engine/config.js');
    const { Rng } = await import('../../src/core/rng.js');
    const dir = join(mkdtempSync(join(tmpdir(), 'sway-nan-')), 'nan');
    const tensors = randomLoraTensors(loadArch(fx.base), ['q_proj', 'v_proj'], 4, new Rng(1), 0.02);
    tensors.forEach((t) => t.data.fill(NaN));
    writeAdapter(dir, { config: loraConfig(fx.base, 4, 8, ['q_proj', 'v_proj']), tensors });
    await expect(EngineBackend.create({ base: fx.base, adapter: dir, threads: 2 })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/adapter_model\.safetensors: tensor 'base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight' holds \d+ non-finite/),
    });
  });
});
