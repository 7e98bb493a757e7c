/**
 * PEFT adapter layouts that real adapters carry (issue: parity gaps): LoRA on embed_tokens
 * (lora_embedding_A/B, with and without ensure_weight_tying on a tied head), saved
 * `<module>.base_layer.*` copies (save_embedding_layers='auto'), and biases trained with
 * bias='lora_only' / 'all'. Every adapter is a real PEFT-layout directory on disk; the
 * engine's views are held against the float64 reference.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AdapterError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { loadAdapter } from '../../src/engine/adapter/load.js';
import { mergedWeights, type MergeView } from '../../src/engine/adapter/merge.js';
import { slotUpdateNorms } from '../../src/engine/adapter/null.js';
import { loadArch } from '../../src/engine/config.js';
import { Engine } from '../../src/engine/engine.js';
import { modulePath as familyModulePath, weightName } from '../../src/engine/families.js';
import { KEY, loraConfig, modulePath, randomLoraTensors, writeAdapter } from '../../src/engine/fixtures/adapters.js';
import { referenceForward } from '../../src/engine/reference/forward.js';
import { SafetensorsSource } from '../../src/engine/safetensors/reader.js';
import type { TensorToWrite } from '../../src/engine/safetensors/writer.js';
import type { ArchSpec } from '../../src/engine/types.js';
import type { ViewSpec } from '../../src/engine/views.js';
import { maxAbsDiff, tinyFixtures } from '../support/fixtures.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'sway-peft-layout-'));
const TEXT = 'Once upon a time there was a fish.';

interface Base {
  dir: string;
  arch: ArchSpec;
  src: SafetensorsSource;
}
const opened: SafetensorsSource[] = [];
function openBase(family: 'mistral' | 'qwen2'): Base {
  const dir = tinyFixtures(family).base;
  const src = SafetensorsSource.openDir(dir);
  opened.push(src);
  return { dir, arch: loadArch(dir), src };
}
afterAll(() => opened.forEach((s) => s.close()));

const mistral = openBase('mistral'); // untied head
const qwen = openBase('qwen2'); // tied head, biased q/k/v

function embeddingLora(arch: ArchSpec, r: number, rng: Rng, std: number): TensorToWrite[] {
  const p = familyModulePath(arch.weights, { module: 'embed' });
  return [
    { name: KEY(`${p}.lora_embedding_A`), dtype: 'F32', shape: [r, arch.vocabSize], data: rng.fillNormal(new Float32Array(r * arch.vocabSize), std) },
    { name: KEY(`${p}.lora_embedding_B`), dtype: 'F32', shape: [arch.hiddenSize, r], data: rng.fillNormal(new Float32Array(arch.hiddenSize * r), std) },
  ];
}

function copyOf(b: Base, tensor: string, savedAs: string, move = 0, rng = new Rng(1)): TensorToWrite {
  const data = Float32Array.from(b.src.readF32(tensor), (v) => v + (move ? rng.normal() * move : 0));
  return { name: KEY(savedAs), dtype: 'F32', shape: b.src.shape(tensor), data };
}

function expectAdapterError(fn: () => unknown, ...parts: (string | RegExp)[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AdapterError);
  for (const p of parts) expect((caught as Error).message).toMatch(p);
}

const VIEWS: [ViewSpec, number][] = [
  [{ kind: 'base' }, 0],
  [{ kind: 'ft' }, 1],
  [{ kind: 'scaled', lambda: 0.5 }, 0.5],
  [{ kind: 'scaled', lambda: 2 }, 2],
];

/** Every view (and one null) of `dir` against the float64 reference; returns the engine's ft and base logits. */
async function holdAgainstReference(b: Base, dir: string): Promise<{ ft: Float32Array; base: Float32Array; engine: Engine }> {
  const engine = await Engine.load({ base: b.dir, adapter: dir, threads: 2 });
  const ids = engine.encode(TEXT);
  const get = (n: string) => b.src.readF32(n);
  const nullView: ViewSpec = { kind: 'null', seed: 11 };
  const views: [ViewSpec, MergeView][] = [
    ...VIEWS.map(([v, lambda]): [ViewSpec, MergeView] => [v, { lambda, applyOverrides: lambda !== 0 }]),
    [nullView, { lambda: 1, slots: engine.resolveView(nullView).slots, applyOverrides: true }],
  ];
  // One batch whose rows run different views, so per-row LoRA feeds are exercised too.
  const batched = await engine.batchedLogits(views.map(([v]) => v), ids);
  views.forEach(([v, merge], i) => {
    const ref = referenceForward(b.arch, mergedWeights(b.arch, get, engine.adapter, merge), ids);
    expect(maxAbsDiff(batched[i]!, ref.logits), JSON.stringify(v)).toBeLessThan(1e-4);
  });
  return { ft: batched[1]!, base: batched[0]!, engine };
}

describe('LoRA on embed_tokens (lora_embedding_A / lora_embedding_B)', () => {
  for (const b of [mistral, qwen]) {
    it(`${b.arch.family} (${b.arch.tieWordEmbeddings ? 'tied' : 'untied'} head): base, ft, scaled, null and a mixed batch agree with the reference`, async () => {
      const dir = join(tmp(), 'emb');
      const rng = new Rng(21);
      writeAdapter(dir, {
        config: loraConfig(b.dir, 4, 8, ['embed_tokens', 'q_proj']),
        tensors: [...randomLoraTensors(b.arch, ['q_proj'], 4, rng, 0.05), ...embeddingLora(b.arch, 4, rng, 0.3)],
      });
      const { ft, base, engine } = await holdAgainstReference(b, dir);
      try {
        expect(engine.adapter!.slots.map((s) => s.target.scope)).toContain('embed_tokens');
        expect(engine.groups.map((g) => g.key)).toContain('embed');
        expect(maxAbsDiff(ft, base), 'the embedding LoRA is not a no-op').toBeGreaterThan(0.05);
        // A base-only batch feeds rank-0 LoRA inputs; it must still run and equal the base.
        const [onlyBase] = await engine.batchedLogits([{ kind: 'base' }], engine.encode(TEXT));
        expect(maxAbsDiff(onlyBase!, base)).toBeLessThan(1e-6);
      } finally {
        await engine.close();
      }
    });
  }

  it('KV-cache decoding applies the embedding LoRA to each new token (greedy = argmax of full forwards)', async () => {
    const b = qwen;
    const dir = join(tmp(), 'emb-generate');
    writeAdapter(dir, { config: loraConfig(b.dir, 4, 8, ['embed_tokens']), tensors: embeddingLora(b.arch, 4, new Rng(6), 0.4) });
    const engine = await Engine.load({ base: b.dir, adapter: dir, threads: 1 });
    try {
      const prompt = engine.encode('The sky is');
      const got = await engine.generateIds(engine.resolveView({ kind: 'ft' }), prompt, { maxNewTokens: 6 });
      expect(got.length).toBeGreaterThan(0);
      const plain = await engine.generateIds(engine.resolveView({ kind: 'base' }), prompt, { maxNewTokens: 6 });
      expect(got, 'the LoRA changes what is generated').not.toEqual(plain);
      const V = b.arch.vocabSize;
      const ids = [...prompt];
      for (const token of got) {
        const logits = await engine.fullLogits({ kind: 'ft' }, ids);
        const last = logits.subarray((ids.length - 1) * V, ids.length * V);
        expect(last.indexOf(Math.max(...last))).toBe(token);
        ids.push(token);
      }
    } finally {
      await engine.close();
    }
  });

  it('an embedding-only LoRA moves nothing before the first token it adapts', async () => {
    const b = mistral;
    const probe = await Engine.load({ base: b.dir, threads: 1 });
    const ids = probe.encode(TEXT);
    await probe.close();
    // A's columns are zero except for one token that first occurs mid-sequence.
    const moved = ids.find((t, i) => i >= 2 && ids.indexOf(t) === i)!;
    const first = ids.indexOf(moved);
    const r = 2;
    const [aT, bT] = embeddingLora(b.arch, r, new Rng(5), 0.5);
    for (let k = 0; k < r; k++) for (let v = 0; v < b.arch.vocabSize; v++) if (v !== moved) aT!.data[k * b.arch.vocabSize + v] = 0;
    const dir = join(tmp(), 'emb-one-token');
    writeAdapter(dir, { config: loraConfig(b.dir, r, 4, ['embed_tokens']), tensors: [aT!, bT!] });
    const engine = await Engine.load({ base: b.dir, adapter: dir, threads: 1 });
    try {
      const [base, ft] = await engine.batchedLogits([{ kind: 'base' }, { kind: 'ft' }], ids);
      const V = b.arch.vocabSize;
      expect(maxAbsDiff(ft!.subarray(0, first * V), base!.subarray(0, first * V))).toBeLessThan(1e-6);
      expect(maxAbsDiff(ft!.subarray(first * V, (first + 1) * V), base!.subarray(first * V, (first + 1) * V))).toBeGreaterThan(1e-3);
    } finally {
      await engine.close();
    }
  });

  it('null views draw the embedding slot at the real slot’s update norm', async () => {
    const dir = join(tmp(), 'emb-null');
    writeAdapter(dir, { config: loraConfig(qwen.dir, 4, 8, ['embed_tokens']), tensors: embeddingLora(qwen.arch, 4, new Rng(2), 0.2) });
    const engine = await Engine.load({ base: qwen.dir, adapter: dir, threads: 1 });
    try {
      const real = engine.adapter!.slots;
      const nul = engine.resolveView({ kind: 'null', seed: 3 }).slots;
      expect(real[0]!.target.scope).toBe('embed_tokens');
      expect(nul[0]!.a).not.toEqual(real[0]!.a);
      expect(slotUpdateNorms(nul)[0]! / slotUpdateNorms(real)[0]!).toBeCloseTo(1, 5);
    } finally {
      await engine.close();
    }
  });

  it('ensure_weight_tying on a tied head: the head carries the embedding LoRA transposed, derived when the file omits it, in null views too', async () => {
    const b = qwen;
    const dir = join(tmp(), 'emb-tied');
    const rng = new Rng(9);
    writeAdapter(dir, { config: loraConfig(b.dir, 4, 8, ['embed_tokens', 'q_proj'], { ensure_weight_tying: true }), tensors: [...randomLoraTensors(b.arch, ['q_proj'], 4, rng, 0.05), ...embeddingLora(b.arch, 4, rng, 0.3)] });
    const adapter = loadAdapter(dir, b.arch, b.src);
    const head = adapter.slots.find((s) => s.target.scope === 'lm_head')!;
    const emb = adapter.slots.find((s) => s.target.scope === 'embed_tokens')!;
    expect(head.tiedToEmbedding).toBe(true);
    expect(head.a[1 * b.arch.hiddenSize + 3]).toBe(emb.b[3 * 4 + 1]); // A_head[k, h] = B_emb[h, k]
    expect(head.b[7 * 4 + 2]).toBe(emb.a[2 * b.arch.vocabSize + 7]); // B_head[v, k] = A_emb[k, v]
    const { engine } = await holdAgainstReference(b, dir);
    try {
      const nul = engine.resolveView({ kind: 'null', seed: 4 }).slots;
      const nHead = nul.find((s) => s.target.scope === 'lm_head')!;
      const nEmb = nul.find((s) => s.target.scope === 'embed_tokens')!;
      expect(nHead.a[1 * b.arch.hiddenSize + 3]).toBe(nEmb.b[3 * 4 + 1]);
      expect(nHead.a).not.toEqual(head.a);
    } finally {
      await engine.close();
    }
  });

  it('ensure_weight_tying with a saved head LoRA that is not the embedding’s transposed is refused', () => {
    const b = qwen;
    const dir = join(tmp(), 'emb-tied-bad');
    const rng = new Rng(10);
    writeAdapter(dir, {
      config: loraConfig(b.dir, 4, 8, ['embed_tokens'], { ensure_weight_tying: true }),
      tensors: [...randomLoraTensors(b.arch, ['lm_head'], 4, rng, 0.05), ...embeddingLora(b.arch, 4, rng, 0.3)],
    });
    expectAdapterError(() => loadAdapter(dir, b.arch, b.src), /ensure_weight_tying/, /not the embed_tokens LoRA transposed/);
  });

  it('DoRA on embed_tokens is refused by name', () => {
    const dir = join(tmp(), 'emb-dora');
    writeAdapter(dir, { config: loraConfig(mistral.dir, 4, 8, ['embed_tokens'], { use_dora: true }), tensors: embeddingLora(mistral.arch, 4, new Rng(3), 0.1) });
    expectAdapterError(() => loadAdapter(dir, mistral.arch, mistral.src), /DoRA on embed_tokens/);
  });
});

describe("saved base_layer copies (PEFT's save_embedding_layers='auto')", () => {
  const b = mistral;
  const head = weightName(b.arch.weights, { module: 'lm_head' });
  const headPath = modulePath(b.arch, null, 'lm_head');

  it('an lm_head.base_layer.weight equal to the base head is accepted and changes nothing', async () => {
    const rng = new Rng(31);
    const lora = randomLoraTensors(b.arch, ['v_proj', 'lm_head'], 4, rng, 0.05);
    const plain = join(tmp(), 'head');
    const withBase = join(tmp(), 'head-with-base');
    writeAdapter(plain, { config: loraConfig(b.dir, 4, 8, ['lm_head', 'v_proj']), tensors: lora });
    writeAdapter(withBase, { config: loraConfig(b.dir, 4, 8, ['lm_head', 'v_proj']), tensors: [...lora, copyOf(b, head, `${headPath}.base_layer.weight`)] });
    const a = loadAdapter(withBase, b.arch, b.src);
    expect(a.baseTensors?.size ?? 0).toBe(0);
    expect(a.warnings).toEqual([]);
    const e1 = await Engine.load({ base: b.dir, adapter: plain, threads: 1 });
    const e2 = await Engine.load({ base: b.dir, adapter: withBase, threads: 1 });
    try {
      const ids = e1.encode(TEXT);
      expect(maxAbsDiff(await e1.fullLogits({ kind: 'ft' }, ids), await e2.fullLogits({ kind: 'ft' }, ids))).toBe(0);
    } finally {
      await e1.close();
      await e2.close();
    }
  });

  it('a base_layer copy that differs replaces the base tensor in every view, base included, as PEFT loads it', async () => {
    const dir = join(tmp(), 'head-moved');
    const embed = weightName(b.arch.weights, { module: 'embed' });
    const embedPath = familyModulePath(b.arch.weights, { module: 'embed' });
    const rng = new Rng(32);
    writeAdapter(dir, {
      config: loraConfig(b.dir, 4, 8, ['embed_tokens', 'lm_head']),
      tensors: [
        ...randomLoraTensors(b.arch, ['lm_head'], 4, rng, 0.05),
        ...embeddingLora(b.arch, 4, rng, 0.2),
        copyOf(b, head, `${headPath}.base_layer.weight`, 0.05, rng),
        copyOf(b, embed, `${embedPath}.base_layer.weight`, 0.05, rng),
      ],
    });
    const { base, engine } = await holdAgainstReference(b, dir);
    const plain = await Engine.load({ base: b.dir, threads: 1 });
    try {
      expect([...engine.adapter!.baseTensors!.keys()].sort()).toEqual([embed, head].sort());
      expect(engine.adapter!.warnings.join('\n')).toMatch(/replace it in every view, base included/);
      expect(maxAbsDiff(base, await plain.fullLogits({ kind: 'base' }, plain.encode(TEXT)))).toBeGreaterThan(1e-3);
    } finally {
      await engine.close();
      await plain.close();
    }
  });

  it('a base_layer copy of a tensor the base model lacks, or of the wrong shape, is refused naming the tensor', () => {
    const foreign = join(tmp(), 'foreign');
    const bogus = { ...copyOf(b, head, 'model.layers.0.self_attn.q_proj.base_layer.weight') };
    writeAdapter(foreign, { config: loraConfig(b.dir, 4, 8, ['v_proj']), tensors: [...randomLoraTensors(b.arch, ['v_proj'], 4, new Rng(1), 0.05), bogus] });
    expectAdapterError(() => loadAdapter(foreign, b.arch, b.src), /q_proj\.base_layer\.weight/, /shape/);
    const missing = join(tmp(), 'missing');
    writeAdapter(missing, { config: loraConfig(b.dir, 4, 8, ['v_proj']), tensors: [...randomLoraTensors(b.arch, ['v_proj'], 4, new Rng(1), 0.05), copyOf(b, head, 'model.layers.0.mlp.router.base_layer.weight')] });
    expectAdapterError(() => loadAdapter(missing, b.arch, b.src), /router\.base_layer\.weight/, /does not correspond to any tensor of the base model/);
  });
});

describe("biases trained with bias='lora_only' / 'all'", () => {
  const b = qwen;
  const bias = (l: number, m: string) => weightName(b.arch.weights, { layer: l, module: m as 'q_proj', part: 'bias' });

  it("lora_only: the saved <module>.base_layer.bias is the trained bias, in every view (base included) and under the LoRA", async () => {
    const dir = join(tmp(), 'lora-only');
    const rng = new Rng(41);
    const moved: TensorToWrite[] = [];
    for (let l = 0; l < b.arch.numLayers; l++) {
      for (const m of ['q_proj', 'v_proj']) moved.push(copyOf(b, bias(l, m), `${modulePath(b.arch, l, m)}.base_layer.bias`, 0.3, rng));
    }
    writeAdapter(dir, { config: loraConfig(b.dir, 4, 8, ['q_proj', 'v_proj'], { bias: 'lora_only' }), tensors: [...randomLoraTensors(b.arch, ['q_proj', 'v_proj'], 4, rng, 0.05), ...moved] });
    const { base, engine } = await holdAgainstReference(b, dir);
    const plain = await Engine.load({ base: b.dir, threads: 1 });
    try {
      expect(engine.adapter!.baseTensors!.size).toBe(2 * b.arch.numLayers);
      expect(engine.adapter!.baseTensors!.get(bias(0, 'q_proj'))!.data).toEqual(moved[0]!.data);
      expect(maxAbsDiff(base, await plain.fullLogits({ kind: 'base' }, plain.encode(TEXT))), 'PEFT’s base view keeps the trained biases').toBeGreaterThan(1e-3);
    } finally {
      await engine.close();
      await plain.close();
    }
  });

  it("all: a bias of a module LoRA does not target (saved as plain <module>.bias) is trained too", () => {
    const dir = join(tmp(), 'all');
    const rng = new Rng(42);
    writeAdapter(dir, {
      config: loraConfig(b.dir, 4, 8, ['q_proj'], { bias: 'all' }),
      tensors: [...randomLoraTensors(b.arch, ['q_proj'], 4, rng, 0.05), copyOf(b, bias(1, 'k_proj'), bias(1, 'k_proj'), 0.3, rng)],
    });
    const a = loadAdapter(dir, b.arch, b.src);
    expect([...a.baseTensors!.keys()]).toEqual([bias(1, 'k_proj')]);
    expect(a.overrides.size).toBe(0);
  });
});
