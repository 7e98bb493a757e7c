/** ONNX engine logits vs the float64 reference forward, per family and view. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeAdapterWeights } from '../../../src/engine/adapter/merge.js';
import { nullAdapterSlots } from '../../../src/engine/adapter/null-adapter.js';
import type { LoadedAdapter } from '../../../src/engine/adapter/types.js';
import { writeAdapter } from '../../../src/engine/fixtures/adapter-writer.js';
import { openModel, type OpenedModel } from '../../../src/engine/fixtures/model-view.js';
import { buildDoraAdapter, buildModulesToSaveAdapter, buildRandomAdapter } from '../../../src/engine/fixtures/simple-adapters.js';
import { writeTinyModel } from '../../../src/engine/fixtures/tiny-model.js';
import { generateIds } from '../../../src/engine/generate.js';
import { loadEngine, type Engine } from '../../../src/engine/load.js';
import { referenceForward } from '../../../src/engine/reference/index.js';
import type { EngineView } from '../../../src/engine/views.js';

const IDS = [5, 17, 3, 42, 8, 11, 29];

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function engineLogits(e: Engine, view: EngineView, ids = IDS): Promise<Float32Array> {
  return e.session.forward([{ ids, view: e.views.feeds(view), positions: ids.map((_, i) => i) }]);
}

function reference(model: OpenedModel, adapter: Pick<LoadedAdapter, 'slots' | 'overrides' | 'trainableTokens'> | null, lambda: number, ids = IDS): Float64Array {
  if (!adapter) return referenceForward(model.arch, model.getWeight, ids).logits;
  const merged = mergeAdapterWeights(model.getWeight, adapter, lambda, { tiedEmbeddings: model.arch.tieWordEmbeddings });
  return referenceForward(model.arch, merged, ids, { lmHead: merged('lm_head.weight') }).logits;
}

describe.each(['llama', 'mistral', 'qwen2', 'qwen3'] as const)('%s engine numerics', (family) => {
  let root: string;
  let model: OpenedModel;
  const engines: Engine[] = [];
  const open = async (adapter: 'random' | 'dora' | 'mts' | null): Promise<Engine> => {
    let adapterDir: string | null = null;
    if (adapter) {
      adapterDir = path.join(root, adapter);
      const build = adapter === 'random' ? buildRandomAdapter : adapter === 'dora' ? buildDoraAdapter : buildModulesToSaveAdapter;
      writeAdapter(adapterDir, build(model, { seed: 7, rank: 4, baseModel: path.join(root, 'base') }));
    }
    const e = await loadEngine({ base: path.join(root, 'base'), adapter: adapterDir, threads: 1 });
    engines.push(e);
    return e;
  };
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), `sway-num-${family}-`));
    writeTinyModel(path.join(root, 'base'), { family, seed: 11, numMerges: 40 });
    model = openModel(path.join(root, 'base'));
  });
  afterAll(async () => {
    for (const e of engines) await e.close();
    model.close();
  });

  it('base, ft, scale 0.5 and null views match the float64 reference within 1e-4', async () => {
    const e = await open('random');
    const a = e.adapter!;
    expect(maxAbs(await engineLogits(e, { kind: 'base' }), reference(model, null, 0))).toBeLessThan(1e-4);
    expect(maxAbs(await engineLogits(e, { kind: 'ft' }), reference(model, a, 1))).toBeLessThan(1e-4);
    expect(maxAbs(await engineLogits(e, { kind: 'scaled', lambda: 0.5 }), reference(model, a, 0.5))).toBeLessThan(1e-4);
    const nul = { slots: nullAdapterSlots(a, 3, { rankScale: 2 }), overrides: new Map(), trainableTokens: null };
    expect(maxAbs(await engineLogits(e, { kind: 'null', seed: 3, rankScale: 2 }), reference(model, nul, 1))).toBeLessThan(1e-4);
    // longer than the mistral fixture's sliding window (8)
    const long = [...IDS, ...IDS, 1, 2];
    expect(maxAbs(await engineLogits(e, { kind: 'ft' }, long), reference(model, a, 1, long))).toBeLessThan(1e-4);
    // the adapter really moves the logits
    expect(maxAbs(await engineLogits(e, { kind: 'ft' }), reference(model, null, 0))).toBeGreaterThan(1e-3);
  });

  it('scale=0 equals base, scale=1 equals ft, and batched multi-view rows equal single runs', async () => {
    const e = engines[0] ?? (await open('random'));
    const base = await engineLogits(e, { kind: 'base' });
    const ft = await engineLogits(e, { kind: 'ft' });
    expect(maxAbs(await engineLogits(e, { kind: 'scaled', lambda: 0 }), base)).toBeLessThan(1e-6);
    expect(maxAbs(await engineLogits(e, { kind: 'scaled', lambda: 1 }), ft)).toBeLessThan(1e-6);
    const short = IDS.slice(0, 4);
    const both = await e.session.forward([
      { ids: IDS, view: e.views.feeds({ kind: 'base' }), positions: IDS.map((_, i) => i) },
      { ids: short, view: e.views.feeds({ kind: 'ft' }), positions: short.map((_, i) => i) },
    ]);
    const V = model.arch.vocabSize;
    expect(maxAbs(both.subarray(0, IDS.length * V), base)).toBeLessThan(1e-5);
    expect(maxAbs(both.subarray(IDS.length * V), await engineLogits(e, { kind: 'ft' }, short))).toBeLessThan(1e-5);
  });

  it('the base view (zero LoRA feeds) equals a graph built without LoRA inputs', async () => {
    const withLora = engines[0] ?? (await open('random'));
    const plain = await open(null);
    expect(maxAbs(await engineLogits(withLora, { kind: 'base' }), await engineLogits(plain, { kind: 'base' }))).toBeLessThan(1e-6);
  });

  it('KV-cache steps match full forwards, and greedy generation equals argmax over full forwards', async () => {
    const e = engines[0] ?? (await open('random'));
    const view = e.views.feeds({ kind: 'ft' });
    const V = model.arch.vocabSize;
    const first = await e.session.forwardCached({ ids: IDS.slice(0, 4), view, positions: [3] }, null);
    const step = await e.session.forwardCached({ ids: IDS.slice(4), view, positions: [0, 1, 2] }, first.cache);
    const full = await engineLogits(e, { kind: 'ft' });
    expect(step.cache.length).toBe(IDS.length);
    expect(maxAbs(step.logits, full.subarray(4 * V))).toBeLessThan(1e-4);
    const generated = await generateIds(e.session, view, IDS, 6, {});
    const ids = [...IDS];
    for (let i = 0; i < 6; i++) {
      const logits = await e.session.forward([{ ids, view, positions: [ids.length - 1] }]);
      let best = 0;
      for (let v = 1; v < V; v++) if (logits[v]! > logits[best]!) best = v;
      ids.push(best);
    }
    expect(generated).toEqual(ids.slice(IDS.length));
  });

  it('DoRA adapter: ft and scale 0.5 match the reference', async () => {
    const e = await open('dora');
    expect(maxAbs(await engineLogits(e, { kind: 'ft' }), reference(model, e.adapter!, 1))).toBeLessThan(1e-4);
    expect(maxAbs(await engineLogits(e, { kind: 'scaled', lambda: 0.5 }), reference(model, e.adapter!, 0.5))).toBeLessThan(1e-4);
    expect(maxAbs(await engineLogits(e, { kind: 'base' }), reference(model, null, 0))).toBeLessThan(1e-4);
  });

  it('modules_to_save adapter: saved lm_head / embed_tokens active in ft, not in base', async () => {
    const e = await open('mts');
    expect(maxAbs(await engineLogits(e, { kind: 'ft' }), reference(model, e.adapter!, 1))).toBeLessThan(1e-4);
    expect(maxAbs(await engineLogits(e, { kind: 'base' }), reference(model, null, 0))).toBeLessThan(1e-4);
  });
});
