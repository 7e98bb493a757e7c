/**
 * A Hugging Face checkpoint (safetensors + tokenizer.json) -> a llama.cpp GGUF model in
 * F32, through the architecture table (arch-table.ts). Tensors are read by logical weight
 * through the family naming (legacy prefixes and checkpoints saved without the family root
 * are read as the engine reads them). The output head is written explicitly (a copy of the
 * embedding when tied) unless the row's architecture reuses the embedding itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError } from '../../core/errors.js';
import { checkArchAgainstWeights, loadArch } from '../config.js';
import { familyTraits, weightName, type LayerWeight, type WeightRef } from '../families.js';
import { withLegacyNames } from '../legacy-names.js';
import { SafetensorsSource } from '../safetensors/reader.js';
import type { ArchSpec, WeightSource } from '../types.js';
import { archMetadata, ggufRowFor, LAYER_STEMS, MODEL_STEMS, type GgufArchRow } from './arch-table.js';
import { ggufTensorData } from './tensors.js';
import { writeGguf, type GgufTensor, type Kv } from './writer.js';

interface TokenizerJson {
  model?: { type?: string; vocab?: Record<string, number>; merges?: (string | [string, string])[] };
  added_tokens?: { id: number; content: string; special?: boolean }[];
  post_processor?: { type?: string; single?: { SpecialToken?: { id: string } }[] } | null;
}

/** tokenizer.* keys for a byte-level BPE tokenizer.json (llama.cpp's `gpt2` tokenizer model). */
export function tokenizerKvs(modelDir: string, arch: ArchSpec): Kv[] {
  const file = join(modelDir, 'tokenizer.json');
  let tok: TokenizerJson;
  try {
    tok = JSON.parse(readFileSync(file, 'utf8')) as TokenizerJson;
  } catch (err) {
    throw new ModelError(`${file}: cannot read tokenizer.json (${(err as Error).message}); GGUF conversion needs it`, 'SWAY_TOKENIZER_INVALID');
  }
  if (tok.model?.type !== 'BPE' || !tok.model.vocab) throw new ModelError(`${file}: only byte-level BPE tokenizers are written to GGUF (got model.type '${tok.model?.type}')`, 'SWAY_TOKENIZER_INVALID');
  const tokens: string[] = new Array(arch.vocabSize);
  const types: number[] = new Array(arch.vocabSize).fill(1);
  for (const [s, id] of Object.entries(tok.model.vocab)) if (id < arch.vocabSize) tokens[id] = s;
  for (const a of tok.added_tokens ?? []) {
    if (a.id >= arch.vocabSize) continue;
    tokens[a.id] = a.content;
    types[a.id] = a.special === false ? 4 : 3;
  }
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === undefined) {
      tokens[i] = `<|sway_pad_${i}|>`;
      types[i] = 5;
    }
  }
  const merges = (tok.model.merges ?? []).map((m) => (Array.isArray(m) ? m.join(' ') : m));
  const eos = arch.eosTokenIds[0] ?? 0;
  const bos = arch.bosTokenId ?? eos;
  const addsBos = tok.post_processor?.type === 'TemplateProcessing' && tok.post_processor.single?.[0]?.SpecialToken !== undefined;
  const kvs: Kv[] = [
    ['tokenizer.ggml.model', 'str', 'gpt2'],
    ['tokenizer.ggml.pre', 'str', 'default'],
    ['tokenizer.ggml.tokens', 'arr_str', tokens],
    ['tokenizer.ggml.token_type', 'arr_i32', types],
    ['tokenizer.ggml.merges', 'arr_str', merges],
    ['tokenizer.ggml.bos_token_id', 'u32', bos],
    ['tokenizer.ggml.eos_token_id', 'u32', eos],
    ['tokenizer.ggml.add_bos_token', 'bool', addsBos],
  ];
  const cfgFile = join(modelDir, 'tokenizer_config.json');
  if (existsSync(cfgFile)) {
    try {
      const template = (JSON.parse(readFileSync(cfgFile, 'utf8')) as { chat_template?: unknown }).chat_template;
      if (typeof template === 'string') kvs.push(['tokenizer.chat_template', 'str', template]);
    } catch {
      /* a broken tokenizer_config.json only loses the chat template */
    }
  }
  return kvs;
}

/** The model's tensors, named for llama.cpp. Optional weights of the naming (q/k norms, biases) are written when the checkpoint has them. */
export function modelTensors(a: ArchSpec, row: GgufArchRow, src: WeightSource): GgufTensor[] {
  const out: GgufTensor[] = [];
  const add = (ref: WeightRef, stem: string, required: boolean) => {
    for (const part of ['weight', 'bias'] as const) {
      const name = weightName(a.weights, { ...ref, part } as WeightRef);
      if (!src.has(name)) {
        if (required && part === 'weight') throw new ModelError(`${src.description}: tensor '${name}' is missing from the checkpoint`, 'SWAY_SAFETENSORS_INVALID');
        continue;
      }
      const t = ggufTensorData(a, row, { ...ref, part } as WeightRef, src.readF32(name), src.shape(name), false);
      out.push({ name: `${stem}.${part}`, shape: t.shape, data: t.data });
    }
  };
  add({ module: 'embed' }, MODEL_STEMS.embed, true);
  if (a.positions === 'learned') add({ module: 'positions' }, MODEL_STEMS.positions, true);
  for (let l = 0; l < a.numLayers; l++) {
    for (const module of Object.keys(a.weights.layer) as LayerWeight[]) add({ layer: l, module }, `blk.${l}.${LAYER_STEMS[module]}`, false);
  }
  add({ module: 'final_norm' }, MODEL_STEMS.final_norm, true);
  const head = weightName(a.weights, { module: 'lm_head' });
  if (!a.tieWordEmbeddings && src.has(head)) add({ module: 'lm_head' }, MODEL_STEMS.lm_head, true);
  else if ((row.outputHead ?? 'always') === 'always') {
    const embed = out.find((t) => t.name === `${MODEL_STEMS.embed}.weight`) as GgufTensor;
    out.push({ name: `${MODEL_STEMS.lm_head}.weight`, shape: [...embed.shape], data: embed.data });
  }
  out.push(...(row.extraTensors?.(a) ?? []));
  return out;
}

export interface ConvertModelOptions {
  name?: string;
  /** Last look at the metadata before writing (tests adjust tokenizer entries). */
  transformKvs?: (kvs: Kv[]) => Kv[];
}

export function convertModelToGguf(modelDir: string, outPath: string, options: ConvertModelOptions = {}): { tensors: number } {
  const arch = loadArch(modelDir);
  const row = ggufRowFor(arch, modelDir);
  const opened = withLegacyNames(SafetensorsSource.openDir(modelDir), familyTraits(arch.family).legacyPrefixes);
  let tensors: GgufTensor[];
  try {
    tensors = modelTensors(arch, row, checkArchAgainstWeights(arch, opened, modelDir));
  } finally {
    opened.close();
  }
  const kvs: Kv[] = [
    ['general.architecture', 'str', row.ggufArch],
    ['general.name', 'str', options.name ?? 'sway-converted'],
    ['general.file_type', 'u32', 0],
    ...archMetadata(row, arch),
    ...tokenizerKvs(modelDir, arch),
  ];
  writeGguf(outPath, options.transformKvs ? options.transformKvs(kvs) : kvs, tensors);
  return { tensors: tensors.length };
}
