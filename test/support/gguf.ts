/**
 * Test-only part of the llama.cpp cross-check: the GGUF writer itself is product code
 * (src/engine/gguf/: arch table, model and LoRA writers, the same `sway convert-model` /
 * `convert-adapter` use). What lives here is how each family's tiny fixture is adjusted so
 * llama.cpp's architecture can express it, with the reason printed by the test.
 */
export { GGUF_ARCHS, type GgufArchRow } from '../../src/engine/gguf/arch-table.js';

export interface FixtureEdit {
  /**
   * config.json edits for what this llama.cpp architecture cannot express, each with its
   * reason; the cross-check prints them. Return [] when the fixture runs as it is.
   */
  adjustConfig?(cfg: Record<string, unknown>): string[];
  /** Layers of the tiny fixture when the default (2) cannot show the architecture to llama.cpp. */
  numLayers?: number;
}

const dropSlidingWindow = (why: string) => (cfg: Record<string, unknown>) => {
  if (cfg['sliding_window'] === undefined || cfg['sliding_window'] === null) return [];
  cfg['sliding_window'] = null;
  return [`sliding_window removed: ${why}`];
};

function headDimQueryScale(cfg: Record<string, unknown>): string[] {
  const text = (cfg['text_config'] as Record<string, unknown> | undefined) ?? cfg;
  const headDim = text['head_dim'];
  if (text['query_pre_attn_scalar'] === undefined || text['query_pre_attn_scalar'] === headDim) return [];
  const was = text['query_pre_attn_scalar'];
  text['query_pre_attn_scalar'] = headDim;
  return [`query_pre_attn_scalar ${String(was)} -> head_dim ${String(headDim)}: llama.cpp fixes the gemma query scale by model size`];
}

/** Per family (a key of GGUF_ARCHS): the fixture edits llama.cpp needs. */
export const FIXTURE_EDITS: Readonly<Record<string, FixtureEdit>> = {
  mistral: { adjustConfig: dropSlidingWindow("llama.cpp's llama architecture (used for Mistral) has no sliding window") },
  // llama.cpp derives the gemma2/3 query scale from the model size (head_dim^-0.5, or (hidden/heads)^-0.5 for 27B).
  gemma2: { adjustConfig: headDimQueryScale },
  gemma3_text: { adjustConfig: headDimQueryScale },
  gemma3: { adjustConfig: headDimQueryScale },
  // llama.cpp's smollm3 skips rotary on every 4th layer, whatever the config says.
  smollm3: {
    numLayers: 4,
    adjustConfig: (cfg) => {
      const notes: string[] = [];
      if (cfg['no_rope_layer_interval'] !== 4) notes.push(`no_rope_layer_interval ${String(cfg['no_rope_layer_interval'])} -> 4: llama.cpp fixes it at 4`);
      cfg['no_rope_layer_interval'] = 4;
      const layers = cfg['num_hidden_layers'] as number;
      if (cfg['no_rope_layers'] !== undefined) cfg['no_rope_layers'] = Array.from({ length: layers }, (_, i) => ((i + 1) % 4 !== 0 ? 1 : 0));
      return notes;
    },
  },
  // ggml computes the tanh GELU for gptneox whatever hidden_act says.
  gpt_neox: {
    adjustConfig: (cfg) => {
      if (cfg['hidden_act'] !== 'gelu') return [];
      cfg['hidden_act'] = 'gelu_new';
      return ["hidden_act gelu -> gelu_new: llama.cpp's gptneox computes the tanh GELU"];
    },
  },
};
