/**
 * Every rule about which adapters sway runs, in one place: PEFT config keys refused, base
 * inits that imply a modified base, which modules may carry LoRA, which saved module copies
 * the engine can switch per view, and which saved copies are ignored as non-text towers.
 */
import { AdapterError } from '../../core/errors.js';
import type { ArchSpec } from '../types.js';
import { weightName } from '../families.js';
import type { SlotTarget } from './types.js';

/** adapter_config.json keys that change the math in ways we do not implement; refused when set to a non-default value. */
export const REFUSED_CONFIG_KEYS: Record<string, (v: unknown) => boolean> = {
  layer_replication: (v) => v != null,
  target_parameters: (v) => v != null && !(Array.isArray(v) && v.length === 0),
  use_qalora: (v) => v === true,
  alora_invocation_tokens: (v) => v != null,
  megatron_config: (v) => v != null,
  use_bdlora: (v) => v === true,
  arrow_config: (v) => v != null,
  lora_ga_config: (v) => v != null,
};

/** init_lora_weights prefixes whose adapters were trained against a modified base. */
export const MODIFIED_BASE_INITS = ['pissa', 'olora', 'corda', 'loftq', 'eva'];

/** Module name fragments of towers a text-only forward never runs (saved copies are reported, not fatal). */
export const NON_TEXT_MODULES = /(vision|audio|image|multi_modal|mm_projector|visual|patch_embed|embed_vision|embed_audio)/;

export function refuseUnsupportedOptions(cfgFile: string, options: { useDora: boolean; loraBias: boolean }): void {
  if (options.useDora && options.loraBias) {
    throw new AdapterError(`${cfgFile}: lora_bias is true together with use_dora; PEFT does not support that combination and neither does sway`, 'SWAY_ADAPTER_UNSUPPORTED');
  }
}

/** Slots the graph cannot run: DoRA on the input embedding (PEFT's DoRA embedding variant). */
export function refuseSlotTarget(file: string, modulePath: string, target: SlotTarget, hasMagnitude = false): void {
  if (target.scope === 'embed_tokens' && hasMagnitude) {
    throw new AdapterError(`${file}: DoRA on embed_tokens (${modulePath}) is not supported by the sway engine; use plain LoRA or modules_to_save for the embedding`, 'SWAY_ADAPTER_UNSUPPORTED');
  }
}

/** Base tensors whose modules_to_save copies the graph can switch per view. */
export function switchableSavedTensors(arch: ArchSpec): string[] {
  return [weightName(arch.weights, { module: 'embed' }), weightName(arch.weights, { module: 'lm_head' }), weightName(arch.weights, { module: 'final_norm' })];
}

export function refuseUnswitchableSaved(dir: string, arch: ArchSpec, tensorName: string): void {
  const ok = switchableSavedTensors(arch);
  if (!ok.includes(tensorName)) {
    throw new AdapterError(
      `${dir}: modules_to_save copy of '${tensorName}' is not supported by the sway engine yet (supported: ${ok.join(', ')})`,
      'SWAY_ADAPTER_UNSUPPORTED',
    );
  }
}
