// Cross-implementation check against llama.cpp (node-llama-cpp, installed by .ci/run): the same
// tiny llama weights and LoRA written as GGUF, base and LoRA views compared logit by logit.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Engine } from '../../src/engine/engine.js';
import { loraConfig, randomLoraTensors, writeAdapter } from '../../src/engine/fixtures/adapters.js';
import { writeTinyModel } from '../../src/engine/fixtures/tiny-model.js';
import { loadArch } from '../../src/engine/config.js';
import { SafetensorsSource } from '../../src/engine/safetensors/reader.js';
import { permuteRows, writeGguf, type GgufTensor, type Kv } from '../support/gguf.js';

/** The slice of node-llama-cpp's API this test uses (typed here so the project builds without it). */
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

function buildFixture() {
  const root = mkdtempSync(join(tmpdir(), 'sway-llamacpp-'));
  const base = join(root, 'base');
  writeTinyModel(base, { family: 'llama', seed: 3, dtype: 'F32' });
  // llama.cpp needs a rope_freqs tensor for llama3 scaling; the cross-check uses plain RoPE.
  const cfgPath = join(base, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  delete cfg.rope_scaling;
  writeFileSync(cfgPath, JSON.stringify(cfg));
  const arch = loadArch(base);
  const adapterDir = join(root, 'lora');
  const loraTensors = randomLoraTensors(arch, ['q_proj', 'v_proj'], 4, new Rng(9), 0.15);
  writeAdapter(adapterDir, { config: loraConfig(base, 4, 8, ['q_proj', 'v_proj']), tensors: loraTensors });

  const src = SafetensorsSource.openDir(base);
  const get = (n: string) => src.readF32(n);
  const { hiddenSize: H, numHeads: nH, numKvHeads: nKv, headDim: D, intermediateSize: I } = arch;
  const tensors: GgufTensor[] = [{ name: 'token_embd.weight', shape: [arch.vocabSize, H], data: get('model.embed_tokens.weight') }];
  for (let l = 0; l < arch.numLayers; l++) {
    const p = `model.layers.${l}.`;
    tensors.push(
      { name: `blk.${l}.attn_norm.weight`, shape: [H], data: get(`${p}input_layernorm.weight`) },
      { name: `blk.${l}.attn_q.weight`, shape: [nH * D, H], data: permuteRows(get(`${p}self_attn.q_proj.weight`), nH, D, H) },
      { name: `blk.${l}.attn_k.weight`, shape: [nKv * D, H], data: permuteRows(get(`${p}self_attn.k_proj.weight`), nKv, D, H) },
      { name: `blk.${l}.attn_v.weight`, shape: [nKv * D, H], data: get(`${p}self_attn.v_proj.weight`) },
      { name: `blk.${l}.attn_output.weight`, shape: [H, nH * D], data: get(`${p}self_attn.o_proj.weight`) },
      { name: `blk.${l}.ffn_norm.weight`, shape: [H], data: get(`${p}post_attention_layernorm.weight`) },
      { name: `blk.${l}.ffn_gate.weight`, shape: [I, H], data: get(`${p}mlp.gate_proj.weight`) },
      { name: `blk.${l}.ffn_up.weight`, shape: [I, H], data: get(`${p}mlp.up_proj.weight`) },
      { name: `blk.${l}.ffn_down.weight`, shape: [H, I], data: get(`${p}mlp.down_proj.weight`) },
    );
  }
  tensors.push({ name: 'output_norm.weight', shape: [H], data: get('model.norm.weight') });
  src.close();

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
  const kvs: Kv[] = [
    ['general.architecture', 'str', 'llama'],
    ['general.name', 'str', 'sway-tiny'],
    ['general.file_type', 'u32', 0],
    ['llama.context_length', 'u32', 512],
    ['llama.embedding_length', 'u32', H],
    ['llama.block_count', 'u32', arch.numLayers],
    ['llama.feed_forward_length', 'u32', I],
    ['llama.attention.head_count', 'u32', nH],
    ['llama.attention.head_count_kv', 'u32', nKv],
    ['llama.rope.freq_base', 'f32', arch.rope.theta],
    ['llama.rope.dimension_count', 'u32', D],
    ['llama.attention.layer_norm_rms_epsilon', 'f32', arch.norm.eps],
    ['llama.vocab_size', 'u32', arch.vocabSize],
    ['tokenizer.ggml.model', 'str', 'gpt2'],
    ['tokenizer.ggml.pre', 'str', 'default'],
    ['tokenizer.ggml.tokens', 'arr_str', tokens],
    ['tokenizer.ggml.token_type', 'arr_i32', types],
    ['tokenizer.ggml.merges', 'arr_str', tok.model.merges as string[]],
    ['tokenizer.ggml.bos_token_id', 'u32', eos],
    ['tokenizer.ggml.eos_token_id', 'u32', eos],
    ['tokenizer.ggml.add_bos_token', 'bool', false],
  ];
  const modelGguf = join(root, 'model.gguf');
  writeGguf(modelGguf, kvs, tensors);

  const loraGguf = join(root, 'lora.gguf');
  const lora: GgufTensor[] = [];
  for (let l = 0; l < arch.numLayers; l++) {
    for (const [mod, ggml, heads] of [['q_proj', 'attn_q', nH], ['v_proj', 'attn_v', 0]] as const) {
      const a = loraTensors.find((t) => t.name.endsWith(`layers.${l}.self_attn.${mod}.lora_A.weight`))!;
      const b = loraTensors.find((t) => t.name.endsWith(`layers.${l}.self_attn.${mod}.lora_B.weight`))!;
      lora.push({ name: `blk.${l}.${ggml}.weight.lora_a`, shape: a.shape, data: a.data });
      lora.push({ name: `blk.${l}.${ggml}.weight.lora_b`, shape: b.shape, data: heads ? permuteRows(b.data, heads, D, 4) : b.data });
    }
  }
  writeGguf(loraGguf, [['general.type', 'str', 'adapter'], ['general.architecture', 'str', 'llama'], ['adapter.type', 'str', 'lora'], ['adapter.lora.alpha', 'f32', 8]], lora);
  return { base, adapterDir, modelGguf, loraGguf, vocab: arch.vocabSize };
}

describe('llama.cpp cross-check (llama family)', () => {
  it.skipIf(!llamaCpp)('base and LoRA views agree with llama.cpp (F32 KV cache, no flash attention)', async () => {
    const fx = buildFixture();
    const engine = await Engine.load({ base: fx.base, adapter: fx.adapterDir, threads: 2 });
    const llama = await llamaCpp!.getLlama({ gpu: false, build: 'never', logLevel: llamaCpp!.LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath: fx.modelGguf });
    try {
      const ids = engine.encode('The capital of France is Rome. Once upon a time');
      const V = fx.vocab;
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
          const seq = ctx.getSequence();
          const res = await seq.controlledEvaluate(ids.map((t) => [t, { generateNext: { logits: true } }]));
          let maxDiff = 0;
          res.forEach((r: unknown, pos: number) => {
            const logits = (r as { next: { logits: Map<number, number> } }).next.logits;
            for (const [tokenId, v] of logits) maxDiff = Math.max(maxDiff, Math.abs(v - (ours[pos * V + tokenId] as number)));
          });
          process.stderr.write(`llama.cpp vs sway (${view.kind}): max |Δlogit| = ${maxDiff.toExponential(2)}\n`);
          expect(maxDiff).toBeLessThan(1e-3);
        } finally {
          await ctx.dispose();
        }
      }
    } finally {
      await model.dispose();
      await engine.close();
    }
  });
});
