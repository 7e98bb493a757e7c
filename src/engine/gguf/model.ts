/**
 * A Hugging Face checkpoint (safetensors + tokenizer.json) -> a llama.cpp GGUF model in
 * F32, through the architecture table. The output head is always written explicitly (a
 * copy of the embedding when tied) so a LoRA on lm_head has a tensor to attach to.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError } from '../../core/errors.js';
import { loadArch } from '../config.js';
import { SafetensorsSource } from '../safetensors/reader.js';
import type { ArchSpec } from '../types.js';
import { ggufRowFor } from './arch-table.js';
import { permuteRows, writeGguf, type GgufTensor, type Kv } from './writer.js';

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

export interface ConvertModelOptions {
  name?: string;
  /** Last look at the metadata before writing (tests adjust tokenizer entries). */
  transformKvs?: (kvs: Kv[]) => Kv[];
}

export function convertModelToGguf(modelDir: string, outPath: string, options: ConvertModelOptions = {}): { tensors: number } {
  const arch = loadArch(modelDir);
  const row = ggufRowFor(arch, modelDir);
  const src = SafetensorsSource.openDir(modelDir);
  const tensors: GgufTensor[] = [];
  try {
    const get = (n: string) => {
      if (!src.has(n)) throw new ModelError(`${modelDir}: tensor '${n}' is missing from the checkpoint`, 'SWAY_SAFETENSORS_INVALID');
      return { shape: src.shape(n), data: src.readF32(n) };
    };
    for (const [hf, gg] of Object.entries(row.globalTensors)) {
      if (hf === 'lm_head.weight') continue;
      tensors.push({ name: gg, ...get(hf) });
    }
    const head = arch.tieWordEmbeddings || !src.has('lm_head.weight') ? get('model.embed_tokens.weight') : get('lm_head.weight');
    tensors.push({ name: row.globalTensors['lm_head.weight']!, ...head });
    for (let l = 0; l < arch.numLayers; l++) {
      for (const [hf, gg] of Object.entries(row.layerTensors)) {
        const t = get(`model.layers.${l}.${hf}`);
        const module = hf.split('.')[1] as keyof typeof row.permute;
        const perm = row.permute[module];
        const data = perm ? permuteRows(t.data, perm === 'q' ? arch.numHeads : arch.numKvHeads, arch.headDim, t.shape[1] ?? 1) : t.data;
        tensors.push({ name: `blk.${l}.${gg}`, shape: t.shape, data });
      }
    }
  } finally {
    src.close();
  }
  tensors.push(...row.extraTensors(arch));
  const kvs: Kv[] = [
    ['general.architecture', 'str', row.ggufArch],
    ['general.name', 'str', options.name ?? 'sway-converted'],
    ['general.file_type', 'u32', 0],
    ...row.metadata(arch),
    ...tokenizerKvs(modelDir, arch),
  ];
  writeGguf(outPath, options.transformKvs ? options.transformKvs(kvs) : kvs, tensors);
  return { tensors: tensors.length };
}
