/**
 * SWAY_ORT_MEMORY switches off onnxruntime's prepacking, CPU arena and memory patterns;
 * the logits stay those of the default session (prepacking may reorder sums, so close,
 * not bit-identical).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { tinyFixtures } from '../support/fixtures.js';

const TEXT = 'The capital of France is Rome. Once upon a time';

async function logits(): Promise<number[]> {
  const fx = tinyFixtures('llama');
  const engine = await Engine.load({ base: fx.base, adapter: fx.trained, threads: 1, cacheDir: null });
  try {
    const ids = engine.encode(TEXT);
    return [...(await engine.fullLogits({ kind: 'ft' }, ids)), ...(await engine.fullLogits({ kind: 'base' }, ids))];
  } finally {
    await engine.close();
  }
}

describe('SWAY_ORT_MEMORY', () => {
  const saved = process.env.SWAY_ORT_MEMORY;
  afterEach(() => {
    if (saved === undefined) delete process.env.SWAY_ORT_MEMORY;
    else process.env.SWAY_ORT_MEMORY = saved;
  });

  it('gives the default session\'s logits with every switch on', async () => {
    delete process.env.SWAY_ORT_MEMORY;
    const ref = await logits();
    process.env.SWAY_ORT_MEMORY = 'noprepack, noarena,nopattern';
    const lean = await logits();
    expect(lean).toHaveLength(ref.length);
    expect(ref.length).toBeGreaterThan(0);
    const worst = Math.max(...lean.map((v, i) => Math.abs(v - ref[i]!)));
    expect(worst).toBeLessThan(1e-4);
  });
});
