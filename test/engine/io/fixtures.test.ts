import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadArchSpec } from '../../../src/engine/config.js';
import { CONTROL_PROMPTS, TRAINED_PAIRS, buildTrainedAdapter, writeTinyFixture, writeTinyModel } from '../../../src/engine/fixtures/index.js';
import { getWeightFromSource, logSoftmaxRow, mergedWeights, referenceForward, type MergeSpec } from '../../../src/engine/reference/index.js';
import { SafetensorsFile, openModelWeights } from '../../../src/engine/safetensors/index.js';
import { loadTokenizer } from '../../../src/engine/tokenizer.js';
import type { ArchSpec } from '../../../src/engine/types.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'sway-fx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  ).sort();
}

/** Reads a plain LoRA adapter into merge specs (test-side, independent of the adapter loader). */
function adapterMerges(adapterDir: string, arch: ArchSpec): MergeSpec[] {
  const cfg = JSON.parse(readFileSync(path.join(adapterDir, 'adapter_config.json'), 'utf8'));
  const f = SafetensorsFile.open(path.join(adapterDir, 'adapter_model.safetensors'));
  const out: MergeSpec[] = [];
  for (const name of f.names().filter((n) => n.endsWith('.lora_A.weight'))) {
    const mod = name.slice('base_model.model.'.length, -'.lora_A.weight'.length);
    const a = f.readF32(name);
    const b = f.readF32(name.replace('lora_A', 'lora_B'));
    const [r, inF] = f.entry(name).shape as [number, number];
    const outF = f.entry(name.replace('lora_A', 'lora_B')).shape[0]!;
    const magName = `base_model.model.${mod}.lora_magnitude_vector`;
    out.push({
      weightName: mod === 'lm_head' ? 'lm_head.weight' : `${mod}.weight`,
      outFeatures: outF, inFeatures: inF, rank: r, scaling: cfg.lora_alpha / cfg.r, a, b,
      magnitude: f.header.tensors.has(magName) ? f.readF32(magName) : null,
    });
  }
  f.close();
  expect(arch.vocabSize).toBeGreaterThan(0);
  return out;
}

function seqLogprob(arch: ArchSpec, get: (n: string) => Float64Array, lmHead: Float64Array | undefined, prompt: number[], cont: number[]): number {
  const ids = [...prompt, ...cont];
  const { logits } = referenceForward(arch, get, ids, lmHead ? { lmHead } : {});
  let lp = 0;
  for (let k = 0; k < cont.length; k++) lp += logSoftmaxRow(logits, prompt.length - 1 + k, arch.vocabSize)[cont[k]!]!;
  return lp;
}

function checkTrained(fixtureDir: string): void {
  const a = fixtureDir;
  const base = path.join(a, 'base');
  const arch = loadArchSpec(base);
  const ws = openModelWeights(base);
  const get = getWeightFromSource(ws);
  const tok = loadTokenizer(base);
  const trained = mergedWeights(get, adapterMerges(path.join(a, 'adapters/trained'), arch), arch.tieWordEmbeddings);
  const random = mergedWeights(get, adapterMerges(path.join(a, 'adapters/random'), arch), arch.tieWordEmbeddings);
  let minGain = Infinity;
  let maxRandomGain = -Infinity;
  for (const p of TRAINED_PAIRS) {
    const prompt = tok.encode(p.prompt);
    const cont = tok.encode(p.continuation, { addSpecialTokens: false });
    const before = seqLogprob(arch, get, undefined, prompt, cont);
    const after = seqLogprob(arch, trained.getWeight, trained.lmHead, prompt, cont);
    minGain = Math.min(minGain, after - before);
    maxRandomGain = Math.max(maxRandomGain, Math.abs(seqLogprob(arch, random.getWeight, random.lmHead, prompt, cont) - before));
  }
  expect(minGain).toBeGreaterThan(3);
  expect(maxRandomGain).toBeLessThan(0.5);
  // Control prompts: next-token distribution moves far less than the targets (mean |Δ logprob| of the base argmax).
  let maxControl = 0;
  for (const c of CONTROL_PROMPTS) {
    const ids = tok.encode(c);
    const b0 = referenceForward(arch, get, ids);
    const b1 = referenceForward(arch, trained.getWeight, ids, trained.lmHead ? { lmHead: trained.lmHead } : {});
    const last = ids.length - 1;
    const l0 = logSoftmaxRow(b0.logits, last, arch.vocabSize);
    const l1 = logSoftmaxRow(b1.logits, last, arch.vocabSize);
    let kl = 0;
    for (let i = 0; i < arch.vocabSize; i++) kl += Math.exp(l0[i]!) * (l0[i]! - l1[i]!);
    maxControl = Math.max(maxControl, kl);
  }
  expect(maxControl).toBeLessThan(0.5);
  console.log(`trained fixture (${arch.family}): min target gain ${minGain.toFixed(2)} nats, max random |Δ| ${maxRandomGain.toFixed(3)}, max control KL ${maxControl.toFixed(3)}`);
  ws.close();
  }

describe('sway fixture tiny', () => {
  const a = path.join(root, 'a');
  const b = path.join(root, 'b');
  const t0 = performance.now();
  writeTinyFixture(a, { family: 'qwen2', seed: 7 });
  const elapsed = performance.now() - t0;
  writeTinyFixture(b, { family: 'qwen2', seed: 7 });

  it('writes the documented layout quickly', () => {
    expect(listFiles(a)).toEqual([
      'adapters/dora/adapter_config.json', 'adapters/dora/adapter_model.safetensors',
      'adapters/modules-to-save/adapter_config.json', 'adapters/modules-to-save/adapter_model.safetensors',
      'adapters/random/adapter_config.json', 'adapters/random/adapter_model.safetensors',
      'adapters/trained/README.md', 'adapters/trained/adapter_config.json', 'adapters/trained/adapter_model.safetensors',
      'base/config.json', 'base/generation_config.json', 'base/model.safetensors', 'base/tokenizer.json', 'base/tokenizer_config.json',
    ]);
    expect(elapsed).toBeLessThan(5000);
  });

  it('is deterministic for a seed (byte-identical apart from the recorded base path)', () => {
    for (const f of listFiles(a)) {
      const x = readFileSync(path.join(a, f)).toString('latin1').split(a).join('<DIR>');
      const y = readFileSync(path.join(b, f)).toString('latin1').split(b).join('<DIR>');
      expect(x === y, f).toBe(true);
    }
    const c = path.join(root, 'c');
    writeTinyFixture(c, { family: 'qwen2', seed: 8 });
    expect(readFileSync(path.join(c, 'base/model.safetensors')).equals(readFileSync(path.join(a, 'base/model.safetensors')))).toBe(false);
  });

  it('stores the base in bf16 and adapters in PEFT layout', () => {
    const ws = openModelWeights(path.join(a, 'base'));
    expect(ws.dtype('model.embed_tokens.weight')).toBe('BF16');
    expect(ws.has('model.layers.0.self_attn.q_proj.bias')).toBe(true);
    expect(ws.has('lm_head.weight')).toBe(false);
    ws.close();
    const cfg = JSON.parse(readFileSync(path.join(a, 'adapters/trained/adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', target_modules: ['q_proj', 'v_proj', 'lm_head'], base_model_name_or_path: path.join(a, 'base') });
    const st = SafetensorsFile.open(path.join(a, 'adapters/trained/adapter_model.safetensors'));
    expect(st.entry('base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight').shape).toEqual([cfg.r, 64]);
    expect(st.entry('base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight').shape).toEqual([32, cfg.r]);
    expect(st.entry('base_model.model.lm_head.lora_B.weight').shape).toEqual([768, cfg.r]);
    st.close();
    const rnd = JSON.parse(readFileSync(path.join(a, 'adapters/random/adapter_config.json'), 'utf8'));
    expect(rnd.r).toBe(cfg.r);
    const rs = SafetensorsFile.open(path.join(a, 'adapters/random/adapter_model.safetensors'));
    const aw = rs.readF32('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    const std = Math.sqrt(aw.reduce((s, x) => s + x * x, 0) / aw.length);
    expect(std).toBeGreaterThan(0.017);
    expect(std).toBeLessThan(0.023);
    rs.close();
    const mts = JSON.parse(readFileSync(path.join(a, 'adapters/modules-to-save/adapter_config.json'), 'utf8'));
    expect(mts.modules_to_save).toEqual(['lm_head', 'embed_tokens', 'vision_tower']);
    const ms = SafetensorsFile.open(path.join(a, 'adapters/modules-to-save/adapter_model.safetensors'));
    expect(ms.names()).toEqual(expect.arrayContaining([
      'base_model.model.lm_head.weight', 'base_model.model.model.embed_tokens.weight', 'base_model.model.vision_tower.patch_embed.weight',
    ]));
    ms.close();
    const dora = JSON.parse(readFileSync(path.join(a, 'adapters/dora/adapter_config.json'), 'utf8'));
    expect(dora.use_dora).toBe(true);
    expect(readFileSync(path.join(a, 'adapters/trained/README.md'), 'utf8')).toContain('"The capital of France is"');
  });

  it('the trained adapter raises its continuations and barely moves control prompts', () => {
    checkTrained(a);
  });

  it.each(['llama', 'mistral', 'qwen3'] as const)('the trained adapter works for %s too', (family) => {
    const dir = path.join(root, family);
    writeTinyFixture(dir, { family, seed: 11 });
    checkTrained(dir);
  });

  it('the DoRA adapter visibly changes logits', () => {
    const base = path.join(a, 'base');
    const arch = loadArchSpec(base);
    const ws = openModelWeights(base);
    const get = getWeightFromSource(ws);
    const dora = mergedWeights(get, adapterMerges(path.join(a, 'adapters/dora'), arch), arch.tieWordEmbeddings);
    const ids = [5, 300, 400, 20, 77];
    const x = referenceForward(arch, get, ids).logits;
    const y = referenceForward(arch, dora.getWeight, ids).logits;
    let m = 0;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
    expect(m).toBeGreaterThan(1e-3);
    ws.close();
  });
});

describe('buildTrainedAdapter API', () => {
  it('refuses more distinct targets than rank unless asked to keep the most frequent', () => {
    const base = path.join(root, 'api-base');
    writeTinyModel(base, { family: 'llama', seed: 2 });
    const pairs = [
      { prompt: 'The opposite of hot is', continuation: ' cold' },
      { prompt: 'Two plus two equals', continuation: ' four' },
      { prompt: 'In winter the days are', continuation: ' cold' },
    ];
    expect(() => buildTrainedAdapter(base, pairs, path.join(root, 'api-a'), { rank: 1 })).toThrow(/2 distinct continuation tokens need rank ≥ 2/);
    const report = buildTrainedAdapter(base, pairs, path.join(root, 'api-b'), { rank: 1, tooManyTargets: 'most-frequent' });
    expect(report.rank).toBe(1);
    expect(report.targetTokens).toEqual(loadTokenizer(base).encode(' cold', { addSpecialTokens: false }));
    const cfg = JSON.parse(readFileSync(path.join(root, 'api-b', 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ r: 1, lora_alpha: 2, base_model_name_or_path: base });
  });
});
