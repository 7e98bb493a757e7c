// Cross-implementation check of the Gemma families against llama.cpp (node-llama-cpp, installed
// by .ci/run): tiny gemma / gemma2 / gemma3 weights and a q/v LoRA written as GGUF the way
// llama.cpp's converter writes them (norm weights stored as 1 + w, NEOX rotary so no row
// permutation), base and LoRA views compared logit by logit. Skipped with a printed reason
// when node-llama-cpp is absent.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Engine } from '../../src/engine/engine.js';
import { loraConfig, randomLoraTensors, writeAdapter } from '../../src/engine/fixtures/adapters.js';
import { writeTinyModel } from '../../src/engine/fixtures/tiny-model.js';
import { loadArch } from '../../src/engine/config.js';
import { weightName, type WeightRef } from '../../src/engine/families.js';
import { SafetensorsSource } from '../../src/engine/safetensors/reader.js';
import type { ArchSpec } from '../../src/engine/types.js';
import { writeGguf, type GgufTensor, type Kv } from '../support/gguf.js';

interface LlamaContextLike {
  getSequence(): { controlledEvaluate(input: unknown): Promise<unknown[]> };
  dispose(): Promise<void>;
}
interface LlamaModelLike {
  createContext(options: Record<string, unknown>): Promise<LlamaContextLike>;
  dispose(): Promise<void>;
}
interface LlamaCppModule {
  getLlama(options: Record<string, unknown>): Promise<{ loadModel(options: { modelPath: string }): Promise<LlamaModelLike> }>;
  LlamaLogLevel: { error: unknown };
}

const NODE_LLAMA_CPP = 'node-llama-cpp';
let llamaCpp: LlamaCppModule | null = null;
let reason = '';
try {
  llamaCpp = (await import(NODE_LLAMA_CPP)) as LlamaCppModule;
} catch (err) {
  reason = `node-llama-cpp is not installed (${(err as Error).message.split('\n')[0]})`;
}
if (!llamaCpp) process.stderr.write(`skipping the gemma llama.cpp cross-check: ${reason}\n`);

type GemmaFamily = 'gemma' | 'gemma2' | 'gemma3_text';

/**
 * llama.cpp hard-codes what transformers reads from config.json: gemma2/3 scale queries by
 * head_dim^-0.5 (query_pre_attn_scalar = head_dim here), gemma2 alternates sliding layers,
 * gemma3 has every 6th layer global with a local base of 10000.
 */
const PATCH: Record<GemmaFamily, { layers: number; cfg: Record<string, unknown> }> = {
  gemma: { layers: 2, cfg: {} },
  gemma2: { layers: 2, cfg: { query_pre_attn_scalar: 16 } },
  gemma3_text: { layers: 6, cfg: { query_pre_attn_scalar: 16, sliding_window_pattern: 6 } },
};

function tokenizerKvs(base: string, arch: ArchSpec): Kv[] {
  const tok = JSON.parse(readFileSync(join(base, 'tokenizer.json'), 'utf8'));
  const tokens: string[] = new Array(arch.vocabSize);
  const types: number[] = new Array(arch.vocabSize).fill(1);
  for (const [s, id] of Object.entries(tok.model.vocab as Record<string, number>)) tokens[id] = s;
  for (const a of tok.added_tokens as { id: number; content: string }[]) {
    tokens[a.id] = a.content;
    types[a.id] = 3;
  }
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === undefined) {
      tokens[i] = `<|pad_${i}|>`;
      types[i] = 5;
    }
  }
  const eos = arch.eosTokenIds[0] ?? 0;
  return [
    ['tokenizer.ggml.model', 'str', 'gpt2'],
    ['tokenizer.ggml.pre', 'str', 'default'],
    ['tokenizer.ggml.tokens', 'arr_str', tokens],
    ['tokenizer.ggml.token_type', 'arr_i32', types],
    ['tokenizer.ggml.merges', 'arr_str', tok.model.merges as string[]],
    ['tokenizer.ggml.bos_token_id', 'u32', eos],
    ['tokenizer.ggml.eos_token_id', 'u32', eos],
    ['tokenizer.ggml.add_bos_token', 'bool', false],
  ];
}

function buildFixture(family: GemmaFamily) {
  const root = mkdtempSync(join(tmpdir(), `sway-llamacpp-${family}-`));
  const base = join(root, 'base');
  writeTinyModel(base, { family, seed: 3, dtype: 'F32', numLayers: PATCH[family].layers });
  const cfgPath = join(base, 'config.json');
  writeFileSync(cfgPath, JSON.stringify({ ...JSON.parse(readFileSync(cfgPath, 'utf8')), ...PATCH[family].cfg }));
  const arch = loadArch(base);
  const adapterDir = join(root, 'lora');
  const loraTensors = randomLoraTensors(arch, ['q_proj', 'v_proj'], 4, new Rng(9), 0.15);
  writeAdapter(adapterDir, { config: loraConfig(base, 4, 8, ['q_proj', 'v_proj']), tensors: loraTensors });

  const src = SafetensorsSource.openDir(base);
  const get = (ref: WeightRef) => src.readF32(weightName(arch.weights, ref));
  // llama.cpp's converter stores Gemma's (1 + w) norm weights with the 1 added.
  const plusOne = (ref: WeightRef) => Float32Array.from(get(ref), (v) => v + arch.norm.weightOffset);
  const { hiddenSize: H, numHeads: nH, numKvHeads: nKv, headDim: D, intermediateSize: I } = arch;
  const sandwich = arch.normPlacement === 'sandwich';
  const tensors: GgufTensor[] = [{ name: 'token_embd.weight', shape: [arch.vocabSize, H], data: get({ module: 'embed' }) }];
  for (let l = 0; l < arch.numLayers; l++) {
    tensors.push(
      { name: `blk.${l}.attn_norm.weight`, shape: [H], data: plusOne({ layer: l, module: 'attn_norm' }) },
      { name: `blk.${l}.attn_q.weight`, shape: [nH * D, H], data: get({ layer: l, module: 'q_proj' }) },
      { name: `blk.${l}.attn_k.weight`, shape: [nKv * D, H], data: get({ layer: l, module: 'k_proj' }) },
      { name: `blk.${l}.attn_v.weight`, shape: [nKv * D, H], data: get({ layer: l, module: 'v_proj' }) },
      { name: `blk.${l}.attn_output.weight`, shape: [H, nH * D], data: get({ layer: l, module: 'o_proj' }) },
      { name: `blk.${l}.ffn_norm.weight`, shape: [H], data: plusOne({ layer: l, module: 'mlp_norm' }) },
      { name: `blk.${l}.ffn_gate.weight`, shape: [I, H], data: get({ layer: l, module: 'gate_proj' }) },
      { name: `blk.${l}.ffn_up.weight`, shape: [I, H], data: get({ layer: l, module: 'up_proj' }) },
      { name: `blk.${l}.ffn_down.weight`, shape: [H, I], data: get({ layer: l, module: 'down_proj' }) },
    );
    if (sandwich) {
      tensors.push(
        { name: `blk.${l}.post_attention_norm.weight`, shape: [H], data: plusOne({ layer: l, module: 'post_attn_norm' }) },
        { name: `blk.${l}.post_ffw_norm.weight`, shape: [H], data: plusOne({ layer: l, module: 'post_mlp_norm' }) },
      );
    }
    if (arch.qkNorm === 'per_head') {
      tensors.push(
        { name: `blk.${l}.attn_q_norm.weight`, shape: [D], data: plusOne({ layer: l, module: 'q_norm' }) },
        { name: `blk.${l}.attn_k_norm.weight`, shape: [D], data: plusOne({ layer: l, module: 'k_norm' }) },
      );
    }
  }
  tensors.push({ name: 'output_norm.weight', shape: [H], data: plusOne({ module: 'final_norm' }) });
  src.close();

  const ga = family === 'gemma3_text' ? 'gemma3' : family;
  const kvs: Kv[] = [
    ['general.architecture', 'str', ga],
    ['general.name', 'str', `sway-tiny-${family}`],
    ['general.file_type', 'u32', 0],
    [`${ga}.context_length`, 'u32', 512],
    [`${ga}.embedding_length`, 'u32', H],
    [`${ga}.block_count`, 'u32', arch.numLayers],
    [`${ga}.feed_forward_length`, 'u32', I],
    [`${ga}.attention.head_count`, 'u32', nH],
    [`${ga}.attention.head_count_kv`, 'u32', nKv],
    [`${ga}.attention.key_length`, 'u32', D],
    [`${ga}.attention.value_length`, 'u32', D],
    [`${ga}.attention.layer_norm_rms_epsilon`, 'f32', arch.norm.eps],
    [`${ga}.rope.freq_base`, 'f32', arch.rope.theta],
    [`${ga}.rope.dimension_count`, 'u32', D],
    ...tokenizerKvs(base, arch),
  ];
  const window = arch.slidingWindow.find((w) => w !== null);
  if (window) kvs.push([`${ga}.attention.sliding_window`, 'u32', window]);
  if (arch.attnSoftcap !== null) kvs.push([`${ga}.attn_logit_softcapping`, 'f32', arch.attnSoftcap]);
  if (arch.finalLogitSoftcap !== null) kvs.push([`${ga}.final_logit_softcapping`, 'f32', arch.finalLogitSoftcap]);
  if (arch.rope.scaling.type === 'linear') kvs.push([`${ga}.rope.scaling.type`, 'str', 'linear'], [`${ga}.rope.scaling.factor`, 'f32', arch.rope.scaling.factor]);
  const modelGguf = join(root, 'model.gguf');
  writeGguf(modelGguf, kvs, tensors);

  const lora: GgufTensor[] = [];
  for (let l = 0; l < arch.numLayers; l++) {
    for (const [mod, ggml] of [['q_proj', 'attn_q'], ['v_proj', 'attn_v']] as const) {
      const a = loraTensors.find((t) => t.name.endsWith(`layers.${l}.self_attn.${mod}.lora_A.weight`))!;
      const b = loraTensors.find((t) => t.name.endsWith(`layers.${l}.self_attn.${mod}.lora_B.weight`))!;
      lora.push({ name: `blk.${l}.${ggml}.weight.lora_a`, shape: a.shape, data: a.data as Float32Array });
      lora.push({ name: `blk.${l}.${ggml}.weight.lora_b`, shape: b.shape, data: b.data as Float32Array });
    }
  }
  const loraGguf = join(root, 'lora.gguf');
  writeGguf(loraGguf, [['general.type', 'str', 'adapter'], ['general.architecture', 'str', ga], ['adapter.type', 'str', 'lora'], ['adapter.lora.alpha', 'f32', 8]], lora);
  return { base, adapterDir, modelGguf, loraGguf, arch };
}

/**
 * llama.cpp evaluates GELU through an fp16 lookup table (input and output rounded to fp16),
 * which alone moves these logits (|logit| ≈ 25) by 1.7e-3..4e-3: with GELU rounded the same
 * way in the float64 reference, llama.cpp agrees to 5e-5..1.5e-3. Structural mistakes
 * (a soft-cap, window, norm offset or RoPE base off) move them by far more than this.
 */
const TOL = 5e-3;

describe('llama.cpp cross-check (gemma families)', () => {
  for (const family of ['gemma', 'gemma2', 'gemma3_text'] as const) {
    it.skipIf(!llamaCpp)(`${family}: base and LoRA views agree with llama.cpp (F32 KV cache, no flash attention)`, async () => {
      const fx = buildFixture(family);
      const engine = await Engine.load({ base: fx.base, adapter: fx.adapterDir, threads: 2 });
      const llama = await llamaCpp!.getLlama({ gpu: false, build: 'never', logLevel: llamaCpp!.LlamaLogLevel.error });
      const model = await llama.loadModel({ modelPath: fx.modelGguf });
      try {
        const ids = engine.encode('The capital of France is Rome. Once upon a time there was a fish.');
        expect(ids.length).toBeGreaterThan(8); // longer than the sliding windows
        const V = fx.arch.vocabSize;
        for (const [view, lora] of [[{ kind: 'base' } as const, null], [{ kind: 'ft' } as const, fx.loraGguf]] as const) {
          const ours = await engine.fullLogits(view, ids);
          const ctx = await model.createContext({
            contextSize: 64,
            flashAttention: false,
            experimentalKvCacheKeyType: 'F32',
            experimentalKvCacheValueType: 'F32',
            ...(lora ? { lora: { adapters: [{ filePath: lora, scale: 1 }] } } : {}),
          });
          try {
            const res = await ctx.getSequence().controlledEvaluate(ids.map((t) => [t, { generateNext: { logits: true } }]));
            let maxDiff = 0;
            res.forEach((r: unknown, pos: number) => {
              const logits = (r as { next: { logits: Map<number, number> } }).next.logits;
              for (const [tokenId, v] of logits) maxDiff = Math.max(maxDiff, Math.abs(v - (ours[pos * V + tokenId] as number)));
            });
            process.stderr.write(`llama.cpp vs sway (${family}, ${view.kind}): max |Δlogit| = ${maxDiff.toExponential(2)}\n`);
            expect(maxDiff).toBeLessThan(TOL);
          } finally {
            await ctx.dispose();
          }
        }
      } finally {
        await model.dispose();
        await engine.close();
      }
    });
  }
});
