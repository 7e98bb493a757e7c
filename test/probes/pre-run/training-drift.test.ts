import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countSpikes, curveMetrics } from '../../../src/probes/pre-run/training-drift.js';
import { buildProbe } from '../../../src/probes/registry.js';

function store(files: Record<string, string[]>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dlm-store-'));
  mkdirSync(join(dir, 'logs'));
  for (const [name, lines] of Object.entries(files)) writeFileSync(join(dir, 'logs', name), `${lines.join('\n')}\n`);
  return dir;
}
const step = (s: number, loss: number | string) => `{"type": "step", "step": ${s}, "loss": ${loss}, "lr": 0.0002}`;
const run = async (store_path: string | null) => {
  const { probe, spec } = buildProbe({ name: 'td', kind: 'training_drift', store_path });
  return probe.run(spec, { backend: null, seed: 0, topK: 8, sections: null, docText: null, specDir: tmpdir(), nullStats: {}, nullStatsByRank: {}, downstreamKinds: [] });
};

describe('training_drift', () => {
  it('a smooth decaying curve passes', async () => {
    const lines = ['{"type": "banner", "run_id": "r1"}', ...Array.from({ length: 40 }, (_, i) => step(i, 3 * Math.exp(-i / 10) + 0.5))];
    const r = await run(store({ 'train-000001-20260101T000000.jsonl': lines }));
    expect(r.verdict).toBe('pass');
    expect(r.raw!).toBeGreaterThan(0.9);
    expect(r.message).toMatch(/^smoothness=0\.9\d, convergence_ratio=0\.\d\d, instability_events=0, final_loss=0\.5\d\d$/);
  });

  it('a spike and NaN losses (Python tokens) give a WARN with the reasons; a resumed run overwrites steps', async () => {
    const a = Array.from({ length: 30 }, (_, i) => step(i, i === 15 ? 9 : 3 - i * 0.05));
    const b = [step(29, 'NaN'), step(30, 1.4), '{"type": "step", "step": 31, "loss": 1.3'];
    const r = await run(store({ 'train-000001-a.jsonl': a, 'train-000002-b.jsonl': b }));
    expect(r.verdict).toBe('warn');
    expect(r.evidence['num_steps']).toBe(31);
    expect(r.message).toMatch(/warnings: .*instability_events=\d > 0/);
  });

  it('SKIP and ERROR paths', async () => {
    expect((await run(null)).message).toBe('no store_path provided (no .dlm context)');
    expect((await run(mkdtempSync(join(tmpdir(), 'x-')))).message).toMatch(/^no logs\/ directory under /);
    expect((await run(store({ 'train-1.jsonl': [step(0, 1), step(1, 0.9)] }))).message).toBe('only 2 step records (< min_steps=10); curve too short to fit reliably');
    const bad = await run(store({ 'train-1.jsonl': ['{not json', step(1, 1)] }));
    expect(bad.verdict).toBe('error');
    expect(bad.message).toMatch(/^first line of train-1\.jsonl is not valid JSON/);
  });

  it('spike counting only counts increases against the local median', () => {
    expect(countSpikes([-1, -1, 5, -1], 10, 3)).toBe(1);
    expect(countSpikes([], 10, 3)).toBe(0);
    expect(curveMetrics([NaN, NaN], 10, 3).instability).toBe(2);
  });
});
