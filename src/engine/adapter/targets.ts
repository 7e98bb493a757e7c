/**
 * Where a PEFT module path lands in the base model (through the family's naming), the
 * in/out features of each target, and the check that adapter_config.json's target_modules
 * / layers_to_transform / exclude_modules agree with the tensors the file holds.
 */
import { isKvShared, keysAsValues, layerIntermediate, layerWidths } from '../heads.js';
import { AdapterError } from '../../core/errors.js';
import { LINEAR_ORDER, layerLinearModules, modulePath, parseModulePath } from '../families.js';
import type { ArchSpec } from '../types.js';
import { matchesTarget, type AdapterConfig } from './config.js';
import { headTiedToEmbedding } from './tied.js';
import type { LayerModule, LoraSlot, SlotTarget } from './types.js';

const LORA_CAPABLE = new Set<string>(LINEAR_ORDER);

export function slotTargetOf(arch: ArchSpec, path: string): SlotTarget | null {
  const ref = parseModulePath(arch.weights, path);
  if (!ref) return null;
  if (ref.layer !== undefined) return LORA_CAPABLE.has(ref.module) ? { scope: 'layer', layer: ref.layer, module: ref.module as LayerModule } : null;
  if (ref.module === 'lm_head') return { scope: 'lm_head' };
  if (ref.module === 'embed') return { scope: 'embed_tokens' };
  return null;
}

/** [in, out] features of a slot target for this architecture. */
export function slotFeatures(arch: ArchSpec, t: SlotTarget): [number, number] {
  const H = arch.hiddenSize;
  const { q, kv } = layerWidths(arch, t.scope === 'layer' ? t.layer : 0);
  const I = layerIntermediate(arch, t.scope === 'layer' ? t.layer : 0);
  if (t.scope === 'lm_head') return [H, arch.vocabSize];
  if (t.scope === 'embed_tokens') return [arch.vocabSize, H];
  const table: Record<LayerModule, [number, number]> = {
    q_proj: [H, q],
    k_proj: [H, kv],
    v_proj: [H, kv],
    qkv_proj: [H, q + 2 * kv],
    o_proj: [q, H],
    gate_proj: [H, I],
    up_proj: [H, I],
    gate_up_proj: [H, 2 * I],
    down_proj: [I, H],
  };
  return table[t.module];
}

export function slotOrder(t: SlotTarget): number {
  if (t.scope === 'layer') return t.layer * 100 + (LINEAR_ORDER as readonly string[]).indexOf(t.module);
  return t.scope === 'lm_head' ? 1e9 : 1e9 + 1;
}

/** Every linear module path of the base model, with its layer (null for lm_head). */
export function baseLinearModules(arch: ArchSpec): { path: string; layer: number | null }[] {
  const out: { path: string; layer: number | null }[] = [];
  for (let l = 0; l < arch.numLayers; l++) for (const m of layerLinearModules(arch, isKvShared(arch, l), keysAsValues(arch, l))) out.push({ path: modulePath(arch.weights, { layer: l, module: m }), layer: l });
  out.push({ path: modulePath(arch.weights, { module: 'lm_head' }), layer: null });
  return out;
}

/** What PEFT would adapt: target_modules (and layers_to_transform), minus exclude_modules. */
function isTargeted(cfg: AdapterConfig, path: string, layer: number | null, isLinear: boolean): boolean {
  if (!matchesTarget(cfg.targetModules, path, isLinear)) return false;
  if (cfg.excludeModules !== null && matchesTarget(cfg.excludeModules, path, isLinear)) return false;
  return true;
}

/**
 * Holds the config against the file: a tensor of a module the config does not target is
 * an error (PEFT would never have written it); targeted modules without tensors are
 * returned for one warning. Returns that warning, or null.
 */
export function checkTargets(cfgFile: string, cfg: AdapterConfig, arch: ArchSpec, slots: readonly LoraSlot[]): string | null {
  const linear = baseLinearModules(arch);
  const linearPaths = new Set(linear.map((m) => m.path));
  if (cfg.layersToTransform) {
    const allowed = new Set(cfg.layersToTransform);
    const stray = slots.find((s) => s.target.scope === 'layer' && !allowed.has(s.target.layer));
    if (stray) {
      throw new AdapterError(`${cfgFile}: layers_to_transform [${cfg.layersToTransform.join(', ')}] does not include the layer of '${stray.modulePath}', which the adapter file holds tensors for — fix layers_to_transform or re-save the adapter`);
    }
  }
  if (cfg.targetModules === null) return null;
  const tiedHead = headTiedToEmbedding(cfg, arch, slots);
  for (const s of slots) {
    if (tiedHead && s.target.scope === 'lm_head') continue;
    if (!isTargeted(cfg, s.modulePath, s.target.scope === 'layer' ? s.target.layer : null, linearPaths.has(s.modulePath))) {
      const excluded = cfg.excludeModules !== null && matchesTarget(cfg.excludeModules, s.modulePath, true);
      const key = excluded ? 'exclude_modules' : 'target_modules';
      throw new AdapterError(
        `${cfgFile}: ${key} ${JSON.stringify(excluded ? cfg.excludeModules : cfg.targetModules)} ${excluded ? 'excludes' : 'does not target'} module '${s.modulePath}', but the adapter file holds LoRA tensors for it — the config does not describe these weights; fix ${key}`,
      );
    }
  }
  const have = new Set(slots.map((s) => s.modulePath));
  const layerOk = (l: number | null) => l === null || !cfg.layersToTransform || cfg.layersToTransform.includes(l);
  const missing = linear.filter((m) => layerOk(m.layer) && isTargeted(cfg, m.path, m.layer, true) && !have.has(m.path)).map((m) => m.path);
  if (missing.length === 0) return null;
  const shown = missing.slice(0, 4).join(', ');
  return `${cfgFile}: target_modules selects ${missing.length} module(s) with no LoRA tensors in the adapter file (${shown}${missing.length > 4 ? ', …' : ''}); they run unadapted`;
}
