/**
 * The base model's modules as PEFT names them (for the supported llama-style families),
 * the mapping from module paths to graph slots, and the in/out sizes each slot must have.
 */
import type { ArchSpec, WeightSource } from '../types.js';
import type { LayerModule, SlotTarget } from './types.js';

export const LAYER_MODULES: readonly LayerModule[] = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

const PARENT: Record<LayerModule, 'self_attn' | 'mlp'> = {
  q_proj: 'self_attn',
  k_proj: 'self_attn',
  v_proj: 'self_attn',
  o_proj: 'self_attn',
  gate_proj: 'mlp',
  up_proj: 'mlp',
  down_proj: 'mlp',
};

export const EMBED_PATH = 'model.embed_tokens';
export const LM_HEAD_PATH = 'lm_head';
export const EMBED_WEIGHT = 'model.embed_tokens.weight';
export const LM_HEAD_WEIGHT = 'lm_head.weight';

export function layerModulePath(layer: number, module: LayerModule): string {
  return `model.layers.${layer}.${PARENT[module]}.${module}`;
}

/** Every nn.Linear of the decoder, in slot order, output head last. */
export function linearModulePaths(arch: ArchSpec): string[] {
  const out: string[] = [];
  for (let l = 0; l < arch.numLayers; l++) for (const m of LAYER_MODULES) out.push(layerModulePath(l, m));
  out.push(LM_HEAD_PATH);
  return out;
}

/** Modules LoRA may target: the linears plus the input embedding. */
export function loraCandidatePaths(arch: ArchSpec): string[] {
  return [...linearModulePaths(arch), EMBED_PATH];
}

const LAYER_RE = /^model\.layers\.(\d+)\.(self_attn|mlp)\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)$/;

export function slotTargetOf(modulePath: string, arch: ArchSpec): SlotTarget | null {
  if (modulePath === LM_HEAD_PATH) return { scope: 'lm_head' };
  if (modulePath === EMBED_PATH) return { scope: 'embed_tokens' };
  const m = LAYER_RE.exec(modulePath);
  if (!m) return null;
  const layer = Number(m[1]);
  const module = m[3] as LayerModule;
  if (layer >= arch.numLayers || PARENT[module] !== m[2]) return null;
  return { scope: 'layer', layer, module };
}

/** Sort key implementing the documented slot order. */
export function slotOrder(t: SlotTarget): number {
  if (t.scope === 'layer') return t.layer * LAYER_MODULES.length + LAYER_MODULES.indexOf(t.module);
  return t.scope === 'lm_head' ? Number.MAX_SAFE_INTEGER - 1 : Number.MAX_SAFE_INTEGER;
}

/** Base weight name that a slot's delta applies to (`lm_head.weight` = the output role even when tied). */
export function slotWeightName(modulePath: string): string {
  return `${modulePath}.weight`;
}

/** [out, in] of the base module (for embed_tokens: [dim, vocab], the LoRA orientation). */
export function baseModuleSize(t: SlotTarget, modulePath: string, arch: ArchSpec, base: WeightSource): { out: number; in: number } {
  if (t.scope === 'embed_tokens') {
    const s = base.has(EMBED_WEIGHT) ? base.shape(EMBED_WEIGHT) : [arch.vocabSize, arch.hiddenSize];
    return { out: s[1]!, in: s[0]! };
  }
  if (t.scope === 'lm_head') {
    const name = base.has(LM_HEAD_WEIGHT) ? LM_HEAD_WEIGHT : EMBED_WEIGHT;
    const s = base.has(name) ? base.shape(name) : [arch.vocabSize, arch.hiddenSize];
    return { out: s[0]!, in: s[1]! };
  }
  const w = slotWeightName(modulePath);
  if (base.has(w)) {
    const s = base.shape(w);
    return { out: s[0]!, in: s[1]! };
  }
  const q = arch.numHeads * arch.headDim;
  const kv = arch.numKvHeads * arch.headDim;
  const H = arch.hiddenSize;
  const I = arch.intermediateSize;
  const sizes: Record<LayerModule, [number, number]> = {
    q_proj: [q, H],
    k_proj: [kv, H],
    v_proj: [kv, H],
    o_proj: [H, q],
    gate_proj: [I, H],
    up_proj: [I, H],
    down_proj: [H, I],
  };
  const [out, inn] = sizes[t.module];
  return { out, in: inn };
}

/** Top-level components of multimodal checkpoints that a text-only forward never runs. */
const NON_TEXT_COMPONENT = /(^|\.)(vision_tower|vision_model|visual|embed_vision|multi_modal_projector|mm_projector|audio_tower|audio_model|embed_audio)(\.|$)/;

export function isNonTextModule(modulePath: string): boolean {
  return NON_TEXT_COMPONENT.test(modulePath);
}
