import { describe, expect, it } from 'vitest';
import { createDummyBackend } from '../../../src/backends/dummy.js';
import { fingerprint, projectionShift } from '../../../src/probes/calibration-probes/style-features.js';
import { runStyleFingerprint, SENTINEL_DOC, styleFingerprintSchema } from '../../../src/probes/calibration-probes/style-fingerprint.js';
import { makeRunContext } from '../../../src/probes/context.js';

const close = (got: number[], want: number[], digits = 12) => want.forEach((w, i) => expect(got[i]!).toBeCloseTo(w, digits));

describe('style fingerprint', () => {
  it('matches the reference values (python re + statistics, computed on this machine)', () => {
    close(fingerprint(SENTINEL_DOC), [0.255556, 0.125708, 0.782609, 0.53913, 0.2, 1.304348], 6);
    close(fingerprint("Well-known rock-'n'-roll fans don't stop! abc-1 runs (fast); really?\n\nYes — it's 2 o'clock."), [
      0.13333333333333333, 0.02721655269759087, 1.0, 0.5666666666666667, 1.7582417582417584, 5.0,
    ]);
    close(fingerprint('Short one. Another short one here.\nNo blank line.'), [0.1, 0.02721655269759087, 0.7777777777777778, 0.4222222222222222, 0.6122448979591837, 3.3333333333333335]);
    expect(fingerprint('   ')).toEqual([0, 0, 0, 0, 0, 0]);
    expect(fingerprint('123 456')).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('projection shift: 0 at base, 1 at doc, negative away, 0 when doc == base', () => {
    expect(projectionShift([0, 0], [0, 0], [1, 1])).toBe(0);
    expect(projectionShift([0, 0], [1, 1], [1, 1])).toBe(1);
    expect(projectionShift([0, 0], [-1, 0], [1, 1])).toBe(-0.5);
    expect(projectionShift([1, 1], [3, 0], [1, 1])).toBe(0);
  });
});

describe('style_fingerprint probe', () => {
  const prompts = ['a', 'b'];
  const doc = 'Tiny words. Very short. All terse.';
  const backend = (ft: Record<string, string>) =>
    createDummyBackend({
      base: { generations: { a: 'The considerable elaboration continues at remarkable length, meandering onward without pause.', b: 'Another sprawling sentence arrives here, unhurried and expansive in its phrasing.' } },
      ft: { generations: ft },
    });

  it('ft that copies the document style shifts toward it (PASS)', async () => {
    const r = await runStyleFingerprint(styleFingerprintSchema.parse({ name: 's', prompts }), makeRunContext({ backend: backend({ a: 'Tiny words. Very short.', b: 'All terse.' }), docText: doc }));
    expect(r.verdict).toBe('pass');
    expect(r.raw!).toBeGreaterThan(0.9);
    expect(r.message).toMatch(/^style_shift=\+\d\.\d\d \(toward doc, threshold=0\.25\) \(no calibration for style_fingerprint\)$/);
    expect(r.evidence).toMatchObject({ extended: false, schema_version: 2, weight: 1 });
  });

  it('empty ft output is an ERROR; SKIP/ERROR paths', async () => {
    const e = await runStyleFingerprint(styleFingerprintSchema.parse({ name: 's', prompts }), makeRunContext({ backend: backend({ a: '', b: ' ' }), docText: doc }));
    expect(e.verdict).toBe('error');
    expect(e.message).toBe('fine-tuned model produced empty / zero-fingerprint output — cannot measure style shift on a degenerate ft view');
    expect(e.evidence).toMatchObject({ ft_text_is_empty: true, ft_fp_is_zero: true });
    const np = await runStyleFingerprint(styleFingerprintSchema.parse({ name: 's' }), makeRunContext({ backend: backend({}) }));
    expect(np.message).toBe('no prompts provided');
    expect(np.verdict).toBe('error');
    const nd = await runStyleFingerprint(styleFingerprintSchema.parse({ name: 's', prompts }), makeRunContext({ backend: backend({}) }));
    expect(nd.verdict).toBe('skip');
    expect(nd.message).toBe('no doc_reference (inline or from ctx.doc_text)');
    const on = await runStyleFingerprint(styleFingerprintSchema.parse({ name: 's', prompts, extended: 'on' }), makeRunContext({ backend: backend({}), docText: doc }));
    expect(on.verdict).toBe('skip');
    expect(on.message).toMatch(/^extended=on needs the spaCy\/textstat style dimensions/);
  });
});
