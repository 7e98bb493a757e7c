import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { DummyDifferentialBackend, lpKey } from '../../../src/backends/dummy.js';
import { builtinPack } from '../../../src/probes/calibration/calibration-drift.js';
import { fingerprint, SENTINEL_DOC, styleShift } from '../../../src/probes/calibration/style-fingerprint.js';
import { buildProbe } from '../../../src/probes/registry.js';

const ctx = (backend: DummyDifferentialBackend, docText: string | null = null) => ({ backend, seed: 0, topK: 8, sections: null, docText, specDir: tmpdir(), nullStats: {}, nullStatsByRank: {}, downstreamKinds: [] });

describe('style_fingerprint', () => {
  it('reproduces the reference fingerprint of its sentinel document', () => {
    const fp = fingerprint(SENTINEL_DOC);
    [0.255556, 0.125708, 0.782609, 0.53913, 0.2, 1.304348].forEach((v, i) => expect(fp[i]).toBeCloseTo(v, 5));
  });

  it('projection: ft = base -> 0, ft = doc -> 1', () => {
    const b = [1, 0, 0];
    const d = [0, 1, 0];
    expect(styleShift(b, b, d)).toBe(0);
    expect(styleShift(b, d, d)).toBe(1);
  });

  it('a fine-tune that writes like the document passes; empty ft output is an ERROR', async () => {
    const prompts = ['p1', 'p2'];
    const base = { generations: { p1: 'ok', p2: 'yes indeed, yes, yes, yes, yes!' } };
    const ft = { generations: { p1: SENTINEL_DOC, p2: SENTINEL_DOC } };
    const { probe, spec } = buildProbe({ name: 'sf', kind: 'style_fingerprint', prompts });
    const r = await probe.run(spec, ctx(new DummyDifferentialBackend(base, ft), SENTINEL_DOC));
    expect(r.raw!).toBeGreaterThan(0.5);
    expect(r.verdict).toBe('pass');
    const empty = await probe.run(spec, ctx(new DummyDifferentialBackend(base, { generations: { p1: '', p2: '  ' } }), SENTINEL_DOC));
    expect(empty.verdict).toBe('error');
    expect(empty.message).toMatch(/^fine-tuned model produced empty/);
    expect((await probe.run(spec, ctx(new DummyDifferentialBackend(), null))).message).toBe('no doc_reference (inline or from ctx.doc_text)');
  });
});

describe('calibration_drift', () => {
  it('ships 200 distinct facts with leading-space golds', () => {
    const pack = builtinPack();
    expect(pack).toHaveLength(200);
    expect(new Set(pack.map(([p]) => p)).size).toBe(200);
    expect(pack.every(([, g]) => g.startsWith(' '))).toBe(true);
  });

  it('counts regressions per estimated token', async () => {
    // gold ' Paris' -> 1 estimated token; ' Berlin' too.
    const items = [
      ['The capital of France is', ' Paris'],
      ['The capital of Germany is', ' Berlin'],
    ];
    const base = { logprobs: { [lpKey(items[0]![0]!, ' Paris')]: -1, [lpKey(items[1]![0]!, ' Berlin')]: -1 } };
    const ft = { logprobs: { [lpKey(items[0]![0]!, ' Paris')]: -4, [lpKey(items[1]![0]!, ' Berlin')]: -1.2 } };
    const { probe, spec } = buildProbe({ name: 'cd', kind: 'calibration_drift', items });
    const r = await probe.run(spec, ctx(new DummyDifferentialBackend(base, ft)));
    expect(r.raw).toBe(0.5);
    expect(r.ft_value).toBeCloseTo(-1.6, 12);
    expect(r.verdict).toBe('fail');
    expect(r.message).toBe('1/2 items regressed >1.0 nats (frac=50.0%, limit < 15.0%), mean_delta=-1.600 nats/tok (limit ≥ -0.50) (no calibration for calibration_drift)');
    expect((r.evidence['worst_offenders'] as { gold: string }[])[0]!.gold).toBe(' Paris');
  });
});
