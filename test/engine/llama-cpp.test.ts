// Cross-implementation check against llama.cpp (node-llama-cpp, installed by .ci/run): for every
// family both sway and llama.cpp run, the same tiny weights and a LoRA on every linear module are
// written as GGUF by sway's own writer (src/engine/gguf/, one row per architecture: what
// `sway convert-model` / `convert-adapter` write) and the base, LoRA and LoRA-at-half-scale
// views are compared logit by logit.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { loadArch } from '../../src/engine/config.js';
import { Engine } from '../../src/engine/engine.js';
import { SUPPORTED_FAMILIES, layerLinearModules, type Family } from '../../src/engine/families.js';
import { fanInFanOut, loraConfig, peftTargets, randomLoraTensors, writeAdapter } from '../../src/engine/fixtures/adapters.js';
import { writeTinyModel } from '../../src/engine/fixtures/tiny-model.js';
import { loadAdapterWithArch } from '../../src/backends/http/adapter-variants.js';
import { writeLoraGguf } from '../../src/engine/gguf/lora.js';
import { convertModelToGguf } from '../../src/engine/gguf/model.js';
import { FIXTURE_EDITS, GGUF_ARCHS, type FixtureEdit } from '../support/gguf.js';

/** The slice of node-llama-cpp's API this test uses (typed here so the project builds without it). */
interface LlamaContextLike {
  getSequence(): { controlledEvaluate(input: unknown): Promise<unknown[]> };
  dispose(): Promise<void>;
}
interface LlamaModelLike {
  createContext(options: Record<string, unknown>): Promise<LlamaContextLike>;
  dispose(): Promise<void>;
}
interface LlamaLike {
  loadModel(options: { modelPath: string }): Promise<LlamaModelLike>;
}
interface LlamaCppModule {
  getLlama(options: Record<string, unknown>): Promise<LlamaLike>;
  LlamaLogLevel: { error: unknown };
}

// A specifier in a variable: resolved at run time only, so type checking needs no package.
const NODE_LLAMA_CPP = 'node-llama-cpp';
let llamaCpp: LlamaCppModule | null = null;
let reason = '';
try {
  llamaCpp = (await import(NODE_LLAMA_CPP)) as LlamaCppModule;
} catch (err) {
  reason = `node-llama-cpp is not installed (${(err as Error).message.split('\n')[0]})`;
}
if (!llamaCpp) process.stderr.write(`skipping the llama.cpp cross-check: ${reason}\n`);

const PROMPT = 'The capital of France is Rome. Once upon a time, in a small village by the sea';
const RANK = 4;
const ALPHA = 8;
/** Measured max |Δlogit| is 1e-5..1e-4 for silu families; llama.cpp's CPU GELU reads a float16 table (≈1e-3 relative). */
const TOLERANCE = 1e-3;
const GELU_TOLERANCE = 1.5e-2;

/** Families llama.cpp has (rows of the GGUF table), in table order. */
const FAMILIES = Object.keys(GGUF_ARCHS);

function buildFixture(family: Family, edit: FixtureEdit) {
  const root = mkdtempSync(join(tmpdir(), `sway-llamacpp-${family}-`));
  const base = join(root, 'base');
  writeTinyModel(base, { family, seed: 3, dtype: 'F32', ...(edit.numLayers ? { numLayers: edit.numLayers } : {}) });
  const cfgPath = join(base, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
  const notes = edit.adjustConfig?.(cfg) ?? [];
  if (notes.length) writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
  const arch = loadArch(base);

  const modules = layerLinearModules(arch);
  const lora = randomLoraTensors(arch, modules, RANK, new Rng(9), 0.15);
  const adapterDir = join(root, 'lora');
  writeAdapter(adapterDir, { config: loraConfig(base, RANK, ALPHA, peftTargets(arch, modules), fanInFanOut(arch)), tensors: lora });

  const modelGguf = join(root, 'model.gguf');
  // Not the family: llama.cpp keys vocabulary quirks on general.name ("phi3" expects Phi-3's </s>, <unk>, <s>).
  convertModelToGguf(base, modelGguf, { name: 'sway tiny fixture' });
  const loraGguf = join(root, 'lora.gguf');
  // PEFT scaling folded into B, alpha 0: llama.cpp's adapter scale is then the view's λ.
  writeLoraGguf(loraGguf, loadAdapterWithArch(adapterDir, base).adapter.slots, arch, { name: 'sway tiny LoRA', what: adapterDir });
  return { base, adapterDir, modelGguf, loraGguf, arch, notes };
}

let llamaInstance: Promise<LlamaLike> | null = null;
const getLlama = () => (llamaInstance ??= llamaCpp!.getLlama({ gpu: false, build: 'never', logLevel: llamaCpp!.LlamaLogLevel.error }));

async function llamaCppLogits(model: LlamaModelLike, ids: number[], lora: { path: string; scale: number } | null): Promise<Map<number, number>[]> {
  const ctx = await model.createContext({
    contextSize: 64,
    // One thread: ggml's worker threads spin while waiting, which on a loaded 2-core machine costs seconds.
    threads: 1,
    flashAttention: false,
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
    ...(lora ? { lora: { adapters: [{ filePath: lora.path, scale: lora.scale }] } } : {}),
  });
  try {
    const res = await ctx.getSequence().controlledEvaluate(ids.map((t) => [t, { generateNext: { logits: true } }]));
    return res.map((r) => (r as { next: { logits: Map<number, number> } }).next.logits);
  } finally {
    await ctx.dispose();
  }
}

describe('llama.cpp cross-check', () => {
  for (const family of FAMILIES) {
    const row = GGUF_ARCHS[family]!;
    const supported = (SUPPORTED_FAMILIES as readonly string[]).includes(family);
    const skip = !llamaCpp || !supported;
    if (llamaCpp && !supported) process.stderr.write(`llama.cpp cross-check: ${family} skipped — sway does not run model_type '${family}' on this branch\n`);
    it.skipIf(skip)(`${family} (GGUF ${row.ggufArch}): base, LoRA and LoRA×0.5 views agree with llama.cpp (F32 KV cache, no flash attention)`, async () => {
      const fx = buildFixture(family as Family, FIXTURE_EDITS[family] ?? {});
      for (const n of fx.notes) process.stderr.write(`llama.cpp cross-check ${family}: ${n}\n`);
      const engine = await Engine.load({ base: fx.base, adapter: fx.adapterDir, threads: 2 });
      const model = await (await getLlama()).loadModel({ modelPath: fx.modelGguf });
      try {
        const ids = engine.encode(PROMPT);
        const V = fx.arch.vocabSize;
        const tol = fx.arch.hiddenAct === 'silu' ? TOLERANCE : GELU_TOLERANCE;
        const views = [
          { name: 'base', view: { kind: 'base' } as const, lora: null },
          { name: 'lora', view: { kind: 'ft' } as const, lora: { path: fx.loraGguf, scale: 1 } },
          { name: 'lora×0.5', view: { kind: 'scaled', lambda: 0.5 } as const, lora: { path: fx.loraGguf, scale: 0.5 } },
        ];
        for (const v of views) {
          const ours = await engine.fullLogits(v.view, ids);
          const theirs = await llamaCppLogits(model, ids, v.lora);
          let maxDiff = 0;
          let maxAbs = 0;
          theirs.forEach((logits, pos) => {
            for (const [tokenId, x] of logits) {
              const o = ours[pos * V + tokenId] as number;
              maxDiff = Math.max(maxDiff, Math.abs(x - o));
              maxAbs = Math.max(maxAbs, Math.abs(o));
            }
          });
          expect(theirs.length).toBe(ids.length);
          process.stderr.write(`llama.cpp vs sway ${family} (${v.name}): max |Δlogit| = ${maxDiff.toExponential(2)} (max |logit| ${maxAbs.toFixed(2)}, ${ids.length} positions)\n`);
          expect(maxDiff, `${family} ${v.name}`).toBeLessThan(tol);
        }
      } finally {
        await model.dispose();
        await engine.close();
      }
    });
  }
});
