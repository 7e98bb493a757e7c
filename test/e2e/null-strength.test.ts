/**
 * The acceptance of nulls of the adapter's own strength, on the demo fixtures and the demo
 * suite: the trained adapter lands healthy and `sway check` would exit 0; the random fixture
 * adapter and a random adapter with the trained adapter's per-module strength land outside
 * the healthy band with |delta_kl z| < 3 and exit 1. Under the reference's init-scale nulls
 * the strength-matched random adapter reads as a real effect — the failure this fixes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeStrengthMatchedRandom } from '../../src/engine/fixtures/strength-matched.js';
import { checkOutcome } from '../../src/cli/commands/check-outcome.js';
import { demoSpecYaml } from '../../src/suite/demo-specs.js';
import { executeSpec, loadSpecText } from '../../src/suite/execute.js';
import { tinyFixtures } from '../support/fixtures.js';

describe('demo suite under strength-matched nulls', () => {
  const fx = tinyFixtures('llama');
  const matched = join(mkdtempSync(join(tmpdir(), 'sway-smr-')), 'strength-matched-random');
  writeStrengthMatchedRandom(fx.trained, matched, 1);
  const run = async (adapter: string, family: 'matched' | 'init' = 'matched') => {
    let text = demoSpecYaml(fx.base, adapter);
    if (family === 'init') text = text.replace('    cache: false\n', '    cache: false\n    null_scale: init\n');
    const out = await executeSpec(loadSpecText(text, 'demo.yaml', tmpdir()));
    return { ...out, dk: out.suite.probes.find((p) => p.kind === 'delta_kl')!, check: checkOutcome(out.suite) };
  };

  it('the trained adapter is healthy, far above its nulls, and check exits 0', async () => {
    const { score, dk, check, suite } = await run(fx.trained);
    expect(score.band).toBe('healthy');
    expect(dk.z_score!).toBeGreaterThan(3);
    expect(dk.evidence['tail_fraction']).toBe(0);
    expect(check.exitCode).toBe(0);
    expect(check.line).toMatch(/^PASS: adapter is distinguishable from a null adapter of its strength \(delta_kl z > 50σ\); no check failed$/);
    expect(suite.probes[0]!.evidence['null_scale']).toBe('matched');
  });

  it('the random fixture adapter lands outside healthy with |z| < 3, and check exits 1', async () => {
    const { score, dk, check } = await run(fx.random);
    expect(score.band).not.toBe('healthy');
    expect(score.band).not.toBe('suspicious');
    expect(Math.abs(dk.z_score!)).toBeLessThan(3);
    expect(check.exitCode).toBe(1);
    expect(check.line).toMatch(/^FAIL: adapter is indistinguishable from a null adapter of its strength/);
  });

  it('a random adapter of the trained adapter’s strength lands outside healthy with |z| < 3, and check exits 1', async () => {
    const { score, dk, check } = await run(matched);
    expect(['noise', 'partial']).toContain(score.band);
    expect(Math.abs(dk.z_score!)).toBeLessThan(3);
    expect(check.exitCode).toBe(1);
  });

  it('under the reference’s init-scale nulls the same adapter reads as an effect', async () => {
    const { dk, suite } = await run(matched, 'init');
    expect(dk.z_score!).toBeGreaterThan(3);
    expect(suite.probes[0]!.evidence['null_scale']).toBe('init');
  });
});
