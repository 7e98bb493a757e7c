/** Tiny llama-shaped base (in memory) and adapter directories written as real safetensors files. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Rng } from '../../../src/core/rng.js';
import { writeSafetensors, type TensorToWrite } from '../../../src/engine/safetensors/writer.js';
import type { ArchSpec, SafetensorsDtype, WeightSource } from '../../../src/engine/types.js';

export function tinyArch(over: Partial<ArchSpec> = {}): ArchSpec {
  return {
    family: 'llama',
    hiddenSize: 8,
    intermediateSize: 12,
    numLayers: 2,
    numHeads: 2,
    numKvHeads: 1,
    headDim: 4,
    vocabSize: 16,
    maxPositionEmbeddings: 64,
    rmsNormEps: 1e-6,
    hiddenAct: 'silu',
    tieWordEmbeddings: false,
    qkvBias: false,
    oBias: false,
    mlpBias: false,
    qkNorm: false,
    rope: { theta: 10000, rotaryDim: 4, scaling: { type: 'default' } },
    slidingWindow: [null, null],
    bosTokenId: null,
    eosTokenIds: [0],
    padTokenId: null,
    ...over,
  };
}

export const MODULE_SHAPES: Record<string, [number, number]> = {
  'self_attn.q_proj': [8, 8],
  'self_attn.k_proj': [4, 8],
  'self_attn.v_proj': [4, 8],
  'self_attn.o_proj': [8, 8],
  'mlp.gate_proj': [12, 8],
  'mlp.up_proj': [12, 8],
  'mlp.down_proj': [8, 12],
};

export function memorySource(tensors: Map<string, { shape: number[]; data: Float32Array }>): WeightSource {
  const get = (n: string) => {
    const t = tensors.get(n);
    if (!t) throw new Error(`no tensor ${n}`);
    return t;
  };
  return {
    description: 'memory base',
    names: () => [...tensors.keys()],
    has: (n) => tensors.has(n),
    shape: (n) => [...get(n).shape],
    dtype: () => 'F32',
    readF32: (n) => get(n).data,
    close: () => undefined,
  };
}

export function baseTensors(arch: ArchSpec, seed = 1): Map<string, { shape: number[]; data: Float32Array }> {
  const rng = new Rng(seed);
  const m = new Map<string, { shape: number[]; data: Float32Array }>();
  const add = (name: string, shape: number[]) => {
    const data = rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), 0.1);
    m.set(name, { shape, data });
  };
  add('model.embed_tokens.weight', [arch.vocabSize, arch.hiddenSize]);
  for (let l = 0; l < arch.numLayers; l++) {
    add(`model.layers.${l}.input_layernorm.weight`, [arch.hiddenSize]);
    add(`model.layers.${l}.post_attention_layernorm.weight`, [arch.hiddenSize]);
    for (const [mod, shape] of Object.entries(MODULE_SHAPES)) add(`model.layers.${l}.${mod}.weight`, shape);
    if (arch.qkvBias) for (const p of ['q', 'k', 'v']) add(`model.layers.${l}.self_attn.${p}_proj.bias`, [MODULE_SHAPES[`self_attn.${p}_proj`]![0]]);
  }
  add('model.norm.weight', [arch.hiddenSize]);
  if (!arch.tieWordEmbeddings) add('lm_head.weight', [arch.vocabSize, arch.hiddenSize]);
  return m;
}

export function baseSource(arch: ArchSpec, seed = 1): WeightSource {
  return memorySource(baseTensors(arch, seed));
}

export function tmpDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'sway-adapter-'));
}

/** Writes adapter_config.json (object or raw text) and adapter_model.safetensors into a fresh dir. */
export function writeAdapter(config: Record<string, unknown> | string, tensors: TensorToWrite[], dir = tmpDir()): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'adapter_config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  writeSafetensors(path.join(dir, 'adapter_model.safetensors'), tensors);
  return dir;
}

export const P = 'base_model.model.';

/** lora_A [r, in] and lora_B [out, r] for a layer module like `self_attn.q_proj`, values from a seeded rng. */
export function loraPair(layer: number, mod: string, r: number, seed = 7, dtype: SafetensorsDtype = 'F32'): TensorToWrite[] {
  const [out, inn] = MODULE_SHAPES[mod]!;
  const rng = new Rng(seed + layer * 31 + mod.length);
  const key = `${P}model.layers.${layer}.${mod}`;
  return [
    { name: `${key}.lora_A.weight`, dtype, shape: [r, inn], data: rng.fillNormal(new Float32Array(r * inn), 0.3) },
    { name: `${key}.lora_B.weight`, dtype, shape: [out, r], data: rng.fillNormal(new Float32Array(out * r), 0.3) },
  ];
}

export function baseConfig(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: 'tiny/base',
    r: 2,
    lora_alpha: 4,
    target_modules: ['q_proj', 'v_proj'],
    lora_dropout: 0.05,
    inference_mode: true,
    peft_version: '0.20.0',
    ...over,
  };
}
