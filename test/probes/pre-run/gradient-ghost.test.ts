import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../../../src/engine/safetensors/writer.js';
import { loadTrainingState } from '../../../src/probes/pre-run/training-state.js';
import { buildProbe } from '../../../src/probes/registry.js';
import { writeFileSync } from 'node:fs';

const FIX = resolve(import.meta.dirname, '../../fixtures/pt');

/** A copy of one fixture with an adapter_model.safetensors naming `layers` x 4 LoRA tensors. */
function adapterDir(name: string, layers: number): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'sway-gg-')), name);
  cpSync(join(FIX, name), dir, { recursive: true });
  const tensors = [];
  for (let l = 0; l < layers; l++) {
    for (const part of ['q_proj.lora_A', 'q_proj.lora_B', 'v_proj.lora_A', 'v_proj.lora_B']) {
      tensors.push({ name: `base_model.model.model.layers.${l}.self_attn.${part}.weight`, dtype: 'F32' as const, shape: [1], data: new Float32Array(1) });
    }
  }
  writeFileSync(join(dir, 'adapter_model.safetensors'), encodeSafetensors(tensors));
  return dir;
}

const run = async (dir: string) => {
  const { probe, spec } = buildProbe({ name: 'gg', kind: 'gradient_ghost', adapter_path: dir });
  return probe.run(spec, { backend: null, seed: 0, topK: 8, sections: null, docText: null, specDir: tmpdir(), nullStats: {}, nullStatsByRank: {}, downstreamKinds: [] });
};

describe('training_state.pt reader (files written by real PyTorch)', () => {
  it('reads global step, Adam moments per param (f32 and bf16 storages) with integer keys', () => {
    const st = loadTrainingState(join(FIX, 'converged'));
    expect(st.globalStep).toBe(300);
    expect(st.epoch).toBe(3);
    expect(st.bestValLoss).toBe(Infinity);
    expect(st.params.map((p) => p.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(st.params.every((p) => p.step === 300 && p.numel === 32)).toBe(true);
    for (const p of st.params) {
      expect(p.expAvgSqMean).toBeGreaterThan(1e-7);
      expect(p.expAvgSqMean).toBeLessThan(1.2e-6);
      expect(p.expAvgNorm).toBeGreaterThan(0);
    }
  });

  it('refuses the malicious pickle by name and runs nothing', () => {
    expect(() => loadTrainingState(join(FIX, 'malicious'))).toThrow(/refusing to load global 'posix\.system'|refusing to load global 'os\.system'/);
    expect(existsSync('/tmp/sway-pwned-by-pickle')).toBe(false);
  });

  it('a truncated archive is a clear error', () => {
    expect(() => loadTrainingState(join(FIX, 'truncated'))).toThrow(/failed to load .*training_state\.pt: /);
  });
});

describe('gradient_ghost verdicts', () => {
  it('PASS when converged', async () => {
    const r = await run(adapterDir('converged', 2));
    expect(r.verdict).toBe('pass');
    expect(r.message).toMatch(/^global_step=300, no layer above 2\.0×/);
    expect(r.evidence['num_layers']).toBe(2);
  });

  it('FAIL on too few steps', async () => {
    const r = await run(adapterDir('undertrained', 2));
    expect(r.verdict).toBe('fail');
    expect(r.raw).toBe(12);
    expect(r.message).toMatch(/^severely undertrained: global_step=12 < threshold 50/);
  });

  it('WARN when one layer of four is still hot', async () => {
    const r = await run(adapterDir('hot-layer', 4));
    expect(r.verdict).toBe('warn');
    expect(r.evidence['num_layers_undertrained']).toBe(1);
    expect((r.evidence['worst_layers'] as { layer: number }[])[0]!.layer).toBe(3);
  });

  it('FAIL when every second moment is NaN; SKIP without the file; ERROR on a malicious file', async () => {
    expect((await run(adapterDir('all-nan', 2))).message).toMatch(/^every per-param exp_avg_sq is NaN/);
    const missing = await run(join(tmpdir(), 'no-such-adapter'));
    expect(missing.verdict).toBe('skip');
    expect(missing.message).toMatch(/^no training_state\.pt under /);
    const evil = await run(join(FIX, 'malicious'));
    expect(evil.verdict).toBe('error');
    expect(evil.message).toContain('refusing to load global');
  });
});
