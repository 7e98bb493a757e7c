// llama.cpp cross-check (node-llama-cpp, installed by .ci/run) for the families llama.cpp runs
// beyond llama: the tiny fixture of each family and a LoRA on its attention input written as
// GGUF in llama.cpp's tensor names and layouts, base and LoRA views compared logit by logit.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { loadArch } from '../../src/engine/config.js';
import { Engine } from '../../src/engine/engine.js';
import { modulePathOrNull, weightName, type LayerWeight, type WeightRef } from '../../src/engine/families.js';
import { familyModules, fanInFanOut, loraConfig, peftTargets, randomLoraTensors, writeAdapter } from '../../src/engine/fixtures/adapters.js';
import { writeTinyModel } from '../../src/engine/fixtures/tiny-model.js';
import { qkvColumnMap } from '../../src/engine/graph/lora-groups.js';
import { SafetensorsSource } from '../../src/engine/safetensors/reader.js';
import type { ArchSpec, Family } from '../../src/engine/types.js';
import { permuteRows, tokenizerKvs, writeGguf, type GgufTensor, type Kv } from '../support/gguf.js';

interface LlamaCppModule {
  getLlama(options: Record<string, unknown>): Promise<{
    loadModel(options: { modelPath: string }): Promise<{
      createContext(options: Record<string, unknown>): Promise<{ getSequence(): { controlledEvaluate(input: unknown): Promise<unknown[]> }; dispose(): Promise<void> }>;
      dispose(): Promise<void>;
    }>;
  }>;
  LlamaLogLevel: { error: unknown };
}
const NODE_LLAMA_CPP = 'node-llama-cpp';
let llamaCpp: LlamaCppModule | null = null;
try {
  llamaCpp = (await import(NODE_LLAMA_CPP)) as LlamaCppModule;
} catch {
  process.stderr.write('skipping the llama.cpp family cross-checks: node-llama-cpp is not installed\n');
}

const GGML: Partial<Record<LayerWeight, string>> = {
  attn_norm: 'attn_norm',
  mlp_norm: 'ffn_norm',
  post_attn_norm: 'post_attention_norm',
  post_mlp_norm: 'post_ffw_norm',
  q_proj: 'attn_q',
  k_proj: 'attn_k',
  v_proj: 'attn_v',
  qkv_proj: 'attn_qkv',
  o_proj: 'attn_output',
  q_norm: 'attn_q_norm',
  k_norm: 'attn_k_norm',
  gate_proj: 'ffn_gate',
  up_proj: 'ffn_up',
  gate_up_proj: 'ffn_up',
  down_proj: 'ffn_down',
};

interface Case {
  family: Family;
  ggufArch: string;
  /** llama.cpp rotates interleaved pairs (LLAMA_ROPE_TYPE_NORM): q/k rows are permuted like convert_hf_to_gguf does. */
  permuteQk: boolean;
  /** config.json edits before the checkpoint is converted (e.g. tanh GELU, which is what ggml computes). */
  config?: Record<string, unknown>;
  extraKvs: (a: ArchSpec) => Kv[];
  /**
   * max |Δlogit|. GELU families get 1e-2: ggml's CPU GELU rounds its f32 input to f16 and
   * reads a lookup table (GGML_GELU_FP16 in ggml-cpu/vec.h), measured 5.4e-3 (gpt2) and
   * 4.6e-3 (gpt_neox) here, against ~1e-5 for the SiLU families.
   */
  tol: number;
}

const CASES: Case[] = [
  {
    family: 'granite',
    ggufArch: 'granite',
    permuteQk: true,
    extraKvs: (a) => [
      ['granite.embedding_scale', 'f32', a.embeddingScale],
      ['granite.residual_scale', 'f32', a.residualMultiplier],
      ['granite.attention.scale', 'f32', a.attentionScale],
      ['granite.logit_scale', 'f32', a.logitsDivisor],
    ],
    tol: 1e-3,
  },
  { family: 'olmo2', ggufArch: 'olmo2', permuteQk: false, extraKvs: () => [], tol: 1e-3 },
  { family: 'gpt2', ggufArch: 'gpt2', permuteQk: false, extraKvs: () => [], tol: 1e-2 },
  // ggml computes the tanh GELU; the fixture's exact GELU is switched to it for the comparison.
  { family: 'gpt_neox', ggufArch: 'gptneox', permuteQk: false, config: { hidden_act: 'gelu_new' }, extraKvs: (a) => [['gptneox.use_parallel_residual', 'bool', a.residual === 'parallel']], tol: 1e-2 },
];

function buildFixture(c: Case) {
  const root = mkdtempSync(join(tmpdir(), `sway-llamacpp-${c.family}-`));
  const base = join(root, 'base');
  writeTinyModel(base, { family: c.family, seed: 3, dtype: 'F32' });
  const cfgPath = join(base, 'config.json');
  writeFileSync(cfgPath, JSON.stringify({ ...JSON.parse(readFileSync(cfgPath, 'utf8')), ...(c.config ?? {}) }));
  const arch = loadArch(base);
  const modules = familyModules(arch, ['q_proj', 'v_proj']);
  const loraTensors = randomLoraTensors(arch, modules, 4, new Rng(9), 0.15);
  const adapterDir = join(root, 'lora');
  writeAdapter(adapterDir, { config: loraConfig(base, 4, 8, peftTargets(arch, modules), fanInFanOut(arch)), tensors: loraTensors });

  const src = SafetensorsSource.openDir(base);
  const { hiddenSize: H, numHeads: nH, numKvHeads: nKv, headDim: D } = arch;
  const has = (ref: WeightRef) => {
    const path = modulePathOrNull(arch.weights, ref);
    return path !== null && src.has(`${path}.${ref.part ?? 'weight'}`);
  };
  /** A tensor in PyTorch Linear orientation ([out, in]); Conv1D weights are transposed. */
  const read = (ref: WeightRef): { shape: number[]; data: Float32Array } => {
    const name = weightName(arch.weights, ref);
    const shape = src.shape(name);
    const data = src.readF32(name);
    if (!arch.transposedLinear || shape.length !== 2 || ref.module === 'embed' || ref.module === 'positions' || ref.module === 'lm_head') return { shape, data };
    const [inF, outF] = shape as [number, number];
    const t = new Float32Array(data.length);
    for (let i = 0; i < inF; i++) for (let o = 0; o < outF; o++) t[o * inF + i] = data[i * outF + o] as number;
    return { shape: [outF, inF], data: t };
  };
  const columns = qkvColumnMap(arch);
  /** Rows as llama.cpp wants them: interleaved rotary pairs (NORM rope) or a per-head fused qkv regrouped into blocks. */
  const permuted = (module: LayerWeight, w: Float32Array, cols: number) => {
    if (c.permuteQk && module === 'q_proj') return permuteRows(w, nH, D, cols);
    if (c.permuteQk && module === 'k_proj') return permuteRows(w, nKv, D, cols);
    if (columns && module === 'qkv_proj') {
      const out = new Float32Array(w.length);
      for (let o = 0; o < columns.length; o++) out.set(w.subarray(o * cols, (o + 1) * cols), (columns[o] as number) * cols);
      return out;
    }
    return w;
  };
  const tensors: GgufTensor[] = [];
  const push = (gguf: string, ref: WeightRef) => {
    for (const part of ['weight', 'bias'] as const) {
      if (!has({ ...ref, part })) continue;
      const t = read({ ...ref, part });
      const data = ref.layer !== undefined ? permuted(ref.module, t.data, part === 'weight' ? (t.shape[1] ?? 1) : 1) : t.data;
      tensors.push({ name: `${gguf}.${part}`, shape: t.shape, data });
    }
  };
  push('token_embd', { module: 'embed' });
  if (arch.positions === 'learned') push('position_embd', { module: 'positions' });
  for (let l = 0; l < arch.numLayers; l++) for (const [m, g] of Object.entries(GGML)) push(`blk.${l}.${g}`, { layer: l, module: m as LayerWeight });
  push('output_norm', { module: 'final_norm' });
  if (!arch.tieWordEmbeddings) push('output', { module: 'lm_head' });
  src.close();

  const P = c.ggufArch;
  const rms = arch.norm.kind === 'rms';
  const kvs: Kv[] = [
    ['general.architecture', 'str', P],
    ['general.name', 'str', `sway-tiny-${c.family}`],
    ['general.file_type', 'u32', 0],
    [`${P}.context_length`, 'u32', arch.maxPositionEmbeddings],
    [`${P}.embedding_length`, 'u32', H],
    [`${P}.block_count`, 'u32', arch.numLayers],
    [`${P}.feed_forward_length`, 'u32', arch.intermediateSize],
    [`${P}.attention.head_count`, 'u32', nH],
    [`${P}.attention.head_count_kv`, 'u32', nKv],
    [`${P}.rope.freq_base`, 'f32', arch.rope.theta],
    [`${P}.rope.dimension_count`, 'u32', arch.rope.rotaryDim],
    [rms ? `${P}.attention.layer_norm_rms_epsilon` : `${P}.attention.layer_norm_epsilon`, 'f32', arch.norm.eps],
    [`${P}.vocab_size`, 'u32', arch.vocabSize],
    ...c.extraKvs(arch),
    ...tokenizerKvs(base, arch.vocabSize, arch.eosTokenIds[0] ?? 0),
  ];
  const modelGguf = join(root, 'model.gguf');
  writeGguf(modelGguf, kvs, tensors);

  const lora: GgufTensor[] = [];
  for (let l = 0; l < arch.numLayers; l++) {
    for (const m of modules) {
      const find = (suffix: string) => loraTensors.find((t) => t.name.endsWith(`${weightName(arch.weights, { layer: l, module: m as LayerWeight }).replace(/\.weight$/, '')}.${suffix}`))!;
      const a = find('lora_A.weight');
      const b = find('lora_B.weight');
      const g = GGML[m as LayerWeight]!;
      lora.push({ name: `blk.${l}.${g}.weight.lora_a`, shape: a.shape, data: a.data });
      lora.push({ name: `blk.${l}.${g}.weight.lora_b`, shape: b.shape, data: permuted(m as LayerWeight, b.data, 4) });
    }
  }
  const loraGguf = join(root, 'lora.gguf');
  writeGguf(loraGguf, [['general.type', 'str', 'adapter'], ['general.architecture', 'str', P], ['adapter.type', 'str', 'lora'], ['adapter.lora.alpha', 'f32', 8]], lora);
  return { base, adapterDir, modelGguf, loraGguf, vocab: arch.vocabSize };
}

describe('llama.cpp cross-check, families beyond llama', () => {
  for (const c of CASES) {
    it.skipIf(!llamaCpp)(`${c.family}: base and LoRA views agree with llama.cpp (F32 KV cache, no flash attention)`, async () => {
      const fx = buildFixture(c);
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
            const res = await ctx.getSequence().controlledEvaluate(ids.map((t) => [t, { generateNext: { logits: true } }]));
            let maxDiff = 0;
            res.forEach((r: unknown, pos: number) => {
              for (const [tokenId, v] of (r as { next: { logits: Map<number, number> } }).next.logits) maxDiff = Math.max(maxDiff, Math.abs(v - (ours[pos * V + tokenId] as number)));
            });
            process.stderr.write(`llama.cpp vs sway, ${c.family} (${view.kind}): max |Δlogit| = ${maxDiff.toExponential(2)}\n`);
            expect(maxDiff).toBeLessThan(c.tol);
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
