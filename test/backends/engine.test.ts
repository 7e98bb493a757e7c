/** The hf-kind engine backend on the tiny llama fixture: scoring semantics, views, batching, preflight. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineBackend} from '../../src/backends/engine.js';
import { createEngineBackend } from '../../src/backends/engine.js';
import { writeAdapter } from '../../src/engine/fixtures/adapter-writer.js';
import { openModel } from '../../src/engine/fixtures/model-view.js';
import { buildRandomAdapter } from '../../src/engine/fixtures/simple-adapters.js';
import { writeTinyModel } from '../../src/engine/fixtures/tiny-model.js';
import { logSoftmax, topK } from '../../src/engine/scoring.js';

let root: string;
let backend: EngineBackend;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'sway-engine-backend-'));
  const base = path.join(root, 'base');
  writeTinyModel(base, { family: 'llama', seed: 5, numMerges: 40 });
  const model = openModel(base);
  const files = buildRandomAdapter(model, { seed: 9, rank: 4, baseModel: base, std: 0.2 });
  writeAdapter(path.join(root, 'random'), files);
  // the same adapter with one lora_A tensor set to NaN
  const nan = { ...files, tensors: files.tensors.map((t, i) => (i === 0 ? { ...t, data: new Float32Array(t.data.length).fill(NaN) } : t)) };
  writeAdapter(path.join(root, 'nan'), nan);
  model.close();
  backend = await createEngineBackend({ base, adapter: path.join(root, 'random'), threads: 1 });
});

afterAll(async () => {
  await backend.close();
});

describe('scoring primitives', () => {
  it('topK: tail_logprob is null when k covers the vocabulary, 0 when the tail underflows, else ln(1 - mass)', () => {
    const lp = logSoftmax(Float32Array.from([2, 1, 0, -1]), 0, 4);
    expect(topK(lp, 4).tailLogprob).toBeNull();
    const d = topK(lp, 2);
    expect(Array.from(d.tokenIds)).toEqual([0, 1]);
    expect(d.tailLogprob).toBeCloseTo(Math.log(Math.exp(lp[2]!) + Math.exp(lp[3]!)), 12);
    expect(topK(logSoftmax(Float32Array.from([0, -40, -40]), 0, 3), 1).tailLogprob).toBe(0);
  });

  it('nextTokenDist is sorted, normalised, and differs between base and ft', async () => {
    const b = await backend.asBase((v) => v.nextTokenDist('The capital', 1000000));
    expect(b.tailLogprob).toBeNull();
    expect(b.logprobs.reduce((s, x) => s + Math.exp(x), 0)).toBeCloseTo(1, 9);
    for (let i = 1; i < b.logprobs.length; i++) expect(b.logprobs[i]!).toBeLessThanOrEqual(b.logprobs[i - 1]!);
    const f = await backend.asFinetuned((v) => v.nextTokenDist('The capital', 5));
    expect(f.tokenIds).toHaveLength(5);
    expect(f.tailLogprob).toBeLessThan(0);
    const b5 = await backend.asBase((v) => v.nextTokenDist('The capital', 5));
    expect(Math.abs(f.logprobs[0]! - b5.logprobs[0]!)).toBeGreaterThan(1e-4);
  });

  it('logprobOf equals the sum of rolling logprobs over the completion tokens; empty completion is an error', async () => {
    const tok = backend.tokenizer();
    const prompt = 'The capital of';
    const completion = ' France is';
    const nPrompt = tok.encode(prompt).length;
    const [lp, roll] = await backend.asFinetuned(async (v) => [await v.logprobOf(prompt, completion), await v.rollingLogprob(prompt + completion)] as const);
    const tail = Array.from(roll.logprobs).slice(nPrompt - 1).reduce((a, b) => a + b, 0);
    expect(lp).toBeLessThan(0);
    expect(lp).toBeCloseTo(tail, 9);
    expect(roll.totalLogprob).toBeCloseTo(Array.from(roll.logprobs).reduce((a, b) => a + b, 0), 12);
    await expect(backend.asBase((v) => v.logprobOf(prompt, ''))).rejects.toThrow(/zero tokens/);
  });

  it('greedy generation equals argmax over full forwards; seeded sampling repeats', async () => {
    const prompt = 'Once upon';
    const text = await backend.asFinetuned((v) => v.generate(prompt, { maxNewTokens: 5 }));
    let ctx = prompt;
    for (let i = 0; i < 5; i++) {
      const d = await backend.asFinetuned((v) => v.nextTokenDist(ctx, 1));
      ctx += backend.tokenizer().decode([d.tokenIds[0]!]);
    }
    expect(prompt + text).toBe(ctx);
    const s1 = await backend.asFinetuned((v) => v.generate(prompt, { maxNewTokens: 6, temperature: 1, seed: 4 }));
    const s2 = await backend.asFinetuned((v) => v.generate(prompt, { maxNewTokens: 6, temperature: 1, seed: 4 }));
    expect(s1).toBe(s2);
  });
});

describe('views', () => {
  it('only one view is open at a time', async () => {
    await expect(backend.asBase(() => backend.asFinetuned(async () => 1))).rejects.toThrow(/already active \('base'\)/);
    expect(await backend.asFinetuned(async (v) => v.id)).toBe('ft');
  });

  it('null views reject rank_scale <= 0 and differ from base and between seeds', async () => {
    await expect(backend.asNullAdapter(1, { rankScale: 0 }, async () => 1)).rejects.toThrow(/rank_scale/);
    const a = await backend.asNullAdapter(7, { rankScale: 2 }, (v) => v.nextTokenDist('hi', 3));
    const b = await backend.asBase((v) => v.nextTokenDist('hi', 3));
    const c = await backend.asNullAdapter(8, { rankScale: 2 }, (v) => v.nextTokenDist('hi', 3));
    expect(Array.from(a.logprobs)).not.toEqual(Array.from(b.logprobs));
    expect(Array.from(a.logprobs)).not.toEqual(Array.from(c.logprobs));
  });

  it('nextTokenDistViews / logprobOfViews batch through one forward and match single-view calls', async () => {
    const prompts = ['The capital', 'Once upon a time', 'hi'];
    const views = [{ kind: 'base' as const }, { kind: 'ft' as const }, { kind: 'scaled' as const, lambda: 0.5 }];
    const before = backend.engine.session.stats.forwardPasses;
    const batched = await backend.nextTokenDistViews(views, prompts, 4);
    expect(backend.engine.session.stats.forwardPasses).toBe(before + 1);
    const single = await backend.asScaledAdapter(0.5, (v) => v.nextTokenDist('Once upon a time', 4));
    expect(Array.from(batched[2]![1]!.tokenIds)).toEqual(Array.from(single.tokenIds));
    for (let i = 0; i < 4; i++) expect(batched[2]![1]!.logprobs[i]!).toBeCloseTo(single.logprobs[i]!, 5);
    const pairs = [{ prompt: 'The capital', completion: ' of France' }];
    const lps = await backend.logprobOfViews(views, pairs);
    const ft = await backend.asFinetuned((v) => v.logprobOf('The capital', ' of France'));
    expect(lps[1]![0]!).toBeCloseTo(ft, 5);
    const stats = backend.stats();
    expect(stats['batches_sent']).toBeGreaterThanOrEqual(2);
    expect(stats['batched_prompts']).toBeGreaterThanOrEqual(10);
    expect(stats['cache_hits']).toBeGreaterThan(0);
  });

  it('identity is stable across loads, names the engine, dtype and version, and follows the weights', async () => {
    expect(backend.identity()).toMatch(/^engine:[0-9a-f]{16}:[0-9a-f]{16}:fp32:/);
    const again = await createEngineBackend({ base: path.join(root, 'base'), adapter: path.join(root, 'random'), threads: 1 });
    expect(again.identity()).toBe(backend.identity());
    await again.close();
    const otherBase = path.join(root, 'base-other');
    writeTinyModel(otherBase, { family: 'llama', seed: 6, numMerges: 40 });
    const other = await createEngineBackend({ base: otherBase, adapter: path.join(root, 'random'), threads: 1 });
    expect(other.identity().split(':')[1]).not.toBe(backend.identity().split(':')[1]);
    expect(other.identity().split(':')[2]).toBe(backend.identity().split(':')[2]);
    await other.close();
  });

  it('preflight passes on a finite adapter and names the view and non-finite on a NaN one', async () => {
    expect(await backend.preflightFiniteCheck()).toEqual({ ok: true, reason: '' });
    const bad = await createEngineBackend({ base: path.join(root, 'base'), adapter: path.join(root, 'nan'), threads: 1 });
    try {
      const r = await bad.preflightFiniteCheck();
      expect(r.ok).toBe(false);
      expect(r.reason).toMatch(/^ft view produced \d+\/8 non-finite/);
    } finally {
      await bad.close();
    }
  });
});
