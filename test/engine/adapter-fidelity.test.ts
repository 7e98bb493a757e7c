/**
 * Adapter fidelity (issue 12 item 1): lora_B.bias applied inside the scaled branch, the
 * config held against the tensors, and non-finite adapter tensors refused at load.
 * Every adapter here is a real PEFT-layout directory written to disk.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdapterError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { loadAdapter } from '../../src/engine/adapter/load.js';
import { mergedWeights } from '../../src/engine/adapter/merge.js';
import { loadArch } from '../../src/engine/config.js';
import { Engine } from '../../src/engine/engine.js';
import { KEY, loraConfig, modulePath, randomLoraTensors, writeAdapter } from '../../src/engine/fixtures/adapters.js';
import { referenceForward } from '../../src/engine/reference/forward.js';
import { SafetensorsSource } from '../../src/engine/safetensors/reader.js';
import type { TensorToWrite } from '../../src/engine/safetensors/writer.js';
import type { ArchSpec } from '../../src/engine/types.js';
import { maxAbsDiff, tinyFixtures } from '../support/fixtures.js';

const fx = tinyFixtures('qwen2');
const tmp = () => mkdtempSync(join(tmpdir(), 'sway-fidelity-'));
let arch: ArchSpec;
let base: SafetensorsSource;
beforeAll(() => {
  arch = loadArch(fx.base);
  base = SafetensorsSource.openDir(fx.base);
});
afterAll(() => base.close());

/** lora_B.bias tensors [out] for every LoRA module in `tensors`. */
function biasTensors(tensors: TensorToWrite[], rng: Rng, std: number): TensorToWrite[] {
  return tensors
    .filter((t) => t.name.endsWith('.lora_B.weight'))
    .map((t) => ({ name: t.name.replace('.lora_B.weight', '.lora_B.bias'), dtype: 'F32', shape: [t.shape[0]!], data: rng.fillNormal(new Float32Array(t.shape[0]!), std) }));
}

function expectAdapterError(fn: () => unknown, ...parts: (string | RegExp)[]): AdapterError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AdapterError);
  const e = caught as AdapterError;
  expect(e.exitCode).toBe(2);
  for (const p of parts) expect(e.message).toMatch(p);
  return e;
}

describe('lora_bias (PEFT lora_bias=True)', () => {
  it('a bias on the lm_head branch moves exactly its logit, by lambda * scaling * bias', async () => {
    const dir = join(tmp(), 'head-bias');
    const r = 2;
    const head = modulePath(arch, null, 'lm_head');
    const target = 5;
    const beta = 0.75;
    const bias = new Float32Array(arch.vocabSize);
    bias[target] = beta;
    writeAdapter(dir, {
      config: loraConfig(fx.base, r, 8, ['lm_head'], { lora_bias: true }),
      tensors: [
        { name: KEY(`${head}.lora_A.weight`), dtype: 'F32', shape: [r, arch.hiddenSize], data: new Float32Array(r * arch.hiddenSize) },
        { name: KEY(`${head}.lora_B.weight`), dtype: 'F32', shape: [arch.vocabSize, r], data: new Float32Array(arch.vocabSize * r) },
        { name: KEY(`${head}.lora_B.bias`), dtype: 'F32', shape: [arch.vocabSize], data: bias },
      ],
    });
    const engine = await Engine.load({ base: fx.base, adapter: dir, threads: 2 });
    try {
      const ids = engine.encode('The sky is');
      const V = arch.vocabSize;
      const [b, ft, half] = await engine.batchedLogits([{ kind: 'base' }, { kind: 'ft' }, { kind: 'scaled', lambda: 0.5 }], ids, 'last');
      const scaling = 8 / r;
      expect(ft![target]! - b![target]!).toBeCloseTo(scaling * beta, 4);
      expect(half![target]! - b![target]!).toBeCloseTo(0.5 * scaling * beta, 4);
      let others = 0;
      for (let i = 0; i < V; i++) if (i !== target) others = Math.max(others, Math.abs(ft![i]! - b![i]!));
      expect(others).toBeLessThan(1e-5);
    } finally {
      await engine.close();
    }
  });

  it('biases on fused attention and MLP groups agree with the float64 reference for ft, scale 0.5 and base', async () => {
    const dir = join(tmp(), 'all-bias');
    const rng = new Rng(3);
    const modules = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj', 'lm_head'];
    const lora = randomLoraTensors(arch, modules, 4, rng, 0.05);
    writeAdapter(dir, { config: loraConfig(fx.base, 4, 8, modules, { lora_bias: true }), tensors: [...lora, ...biasTensors(lora, rng, 0.3)] });
    const noBias = join(tmp(), 'no-bias');
    writeAdapter(noBias, { config: loraConfig(fx.base, 4, 8, modules), tensors: lora });
    const engine = await Engine.load({ base: fx.base, adapter: dir, threads: 2 });
    const plain = await Engine.load({ base: fx.base, adapter: noBias, threads: 2 });
    try {
      const ids = engine.encode('Once upon a time there was a fish.');
      const get = (n: string) => base.readF32(n);
      for (const [view, lambda] of [[{ kind: 'ft' }, 1], [{ kind: 'scaled', lambda: 0.5 }, 0.5], [{ kind: 'base' }, 0]] as const) {
        const got = await engine.fullLogits(view, ids);
        const ref = referenceForward(arch, mergedWeights(arch, get, engine.adapter, { lambda, applyOverrides: lambda !== 0 }), ids);
        expect(maxAbsDiff(got, ref.logits), view.kind).toBeLessThan(1e-4);
      }
      // The bias is not a no-op: the same adapter without it scores differently, and base is untouched.
      expect(maxAbsDiff(await engine.fullLogits({ kind: 'ft' }, ids), await plain.fullLogits({ kind: 'ft' }, ids))).toBeGreaterThan(0.05);
      expect(maxAbsDiff(await engine.fullLogits({ kind: 'base' }, ids), await plain.fullLogits({ kind: 'base' }, ids))).toBeLessThan(1e-5);
    } finally {
      await engine.close();
      await plain.close();
    }
  });

  it('bias tensors without lora_bias: true are ignored with one warning, as PEFT ignores them', () => {
    const dir = join(tmp(), 'stray-bias');
    const rng = new Rng(4);
    const lora = randomLoraTensors(arch, ['q_proj'], 4, rng, 0.05);
    writeAdapter(dir, { config: loraConfig(fx.base, 4, 8, ['q_proj']), tensors: [...lora, ...biasTensors(lora, rng, 0.3)] });
    const a = loadAdapter(dir, arch, base);
    expect(a.slots.every((s) => s.bBias === null)).toBe(true);
    expect(a.warnings.filter((w) => w.includes('lora_B.bias'))).toHaveLength(1);
  });

  it('lora_bias together with use_dora is refused by name', () => {
    const dir = join(tmp(), 'dora-bias');
    writeAdapter(dir, { config: loraConfig(fx.base, 4, 8, ['q_proj'], { lora_bias: true, use_dora: true }), tensors: randomLoraTensors(arch, ['q_proj'], 4, new Rng(5), 0.05) });
    expectAdapterError(() => loadAdapter(dir, arch, base), /adapter_config\.json/, /lora_bias/, /use_dora/);
  });
});

describe('target_modules and layers_to_transform are held against the tensors', () => {
  const qv = () => randomLoraTensors(arch, ['q_proj', 'v_proj'], 4, new Rng(6), 0.05);
  const write = (extra: Record<string, unknown>, targets: unknown = ['q_proj', 'v_proj'], tensors = qv()) => {
    const dir = join(tmp(), 'targets');
    const config = { ...loraConfig(fx.base, 4, 8, []), target_modules: targets, ...extra };
    writeAdapter(dir, { config, tensors });
    return dir;
  };

  for (const targets of [['o_proj'], ['nothing_here'], []]) {
    it(`target_modules ${JSON.stringify(targets)} beside q/v tensors: exit 2 naming the file, the key and the module`, () => {
      const dir = write({}, targets);
      expectAdapterError(() => loadAdapter(dir, arch, base), /adapter_config\.json: target_modules/, /model\.layers\.0\.self_attn\.q_proj/);
    });
  }

  it('a module excluded by exclude_modules but present in the file is named with that key', () => {
    const dir = write({ exclude_modules: ['v_proj'] });
    expectAdapterError(() => loadAdapter(dir, arch, base), /adapter_config\.json: exclude_modules/, /v_proj/);
  });

  it('a regex target_modules is matched in full, as PEFT does', () => {
    expect(loadAdapter(write({}, '.*\\.(q_proj|v_proj)'), arch, base).slots).toHaveLength(2 * arch.numLayers);
    expectAdapterError(() => loadAdapter(write({}, 'q_proj'), arch, base), /target_modules "q_proj"/);
  });

  it('tensors outside layers_to_transform: exit 2 naming the file and key', () => {
    const dir = write({ layers_to_transform: [0] });
    expectAdapterError(() => loadAdapter(dir, arch, base), /adapter_config\.json: layers_to_transform \[0\]/, /model\.layers\.1\./);
  });

  it('targeted modules without tensors give one warning naming them', () => {
    const a = loadAdapter(write({}, ['q_proj', 'k_proj', 'v_proj']), arch, base);
    const w = a.warnings.filter((x) => x.includes('no LoRA tensors'));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/adapter_config\.json: target_modules selects 2 module\(s\)/);
    expect(w[0]).toContain('model.layers.0.self_attn.k_proj');
    expect(loadAdapter(write({}), arch, base).warnings).toEqual([]);
  });

  it('the targeted-but-missing warning respects layers_to_transform', () => {
    const layer0 = qv().filter((t) => t.name.includes('.layers.0.'));
    const a = loadAdapter(write({ layers_to_transform: [0] }, ['q_proj', 'v_proj'], layer0), arch, base);
    expect(a.warnings).toEqual([]);
  });

  for (const [key, value] of [
    ['target_modules', '(?P<m>q_proj)'],
    ['exclude_modules', '(unclosed'],
    ['rank_pattern', { '(?P<m>q_proj)': 2 }],
  ] as const) {
    it(`an invalid regex in ${key}: exit 2 naming the file and the key`, () => {
      const dir = write(key === 'target_modules' ? {} : { [key]: value }, key === 'target_modules' ? value : ['q_proj', 'v_proj']);
      expectAdapterError(() => loadAdapter(dir, arch, base), /adapter_config\.json/, new RegExp(key), /not a regular expression/);
    });
  }
});

describe('non-finite adapter tensors are refused at load', () => {
  const cases: [string, (t: TensorToWrite[]) => void][] = [
    ['NaN in lora_A', (t) => (t[0]!.data[3] = NaN)],
    ['Inf in lora_B', (t) => (t[1]!.data[0] = Infinity)],
    ['-Inf in a lora_B.bias', (t) => (t.find((x) => x.name.endsWith('lora_B.bias'))!.data[1] = -Infinity)],
  ];
  for (const [title, poison] of cases) {
    it(`${title}: exit 2 naming adapter_model.safetensors and the tensor`, () => {
      const rng = new Rng(8);
      const lora = randomLoraTensors(arch, ['q_proj'], 4, rng, 0.05);
      const tensors = [...lora, ...biasTensors(lora, rng, 0.1)];
      poison(tensors);
      const bad = tensors.find((t) => Array.from(t.data).some((v) => !Number.isFinite(v)))!;
      const dir = join(tmp(), 'nan');
      writeAdapter(dir, { config: loraConfig(fx.base, 4, 8, ['q_proj'], { lora_bias: true }), tensors });
      expectAdapterError(() => loadAdapter(dir, arch, base), /adapter_model\.safetensors: tensor '/, bad.name, /non-finite/);
    });
  }

  it('NaN in a modules_to_save copy: exit 2 naming the tensor', () => {
    const dir = join(tmp(), 'mts');
    cpSync(fx.modulesToSave, dir, { recursive: true });
    const src = SafetensorsSource.openDir(dir, 'adapter_model');
    const tensors: TensorToWrite[] = src.names().map((n) => ({ name: n, dtype: 'F32', shape: src.shape(n), data: src.readF32(n) }));
    src.close();
    const saved = tensors.find((t) => t.name.endsWith('embed_tokens.weight'))!;
    saved.data[7] = NaN;
    const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    writeAdapter(dir, { config, tensors });
    writeFileSync(join(dir, 'README.md'), 'poisoned copy\n');
    expectAdapterError(() => loadAdapter(dir, arch, base), saved.name, /non-finite/);
  });
});
