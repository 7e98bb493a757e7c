/**
 * Classifies the tensor keys of adapter_model.safetensors into LoRA parts per module,
 * trainable-token deltas and saved full-module copies (modules_to_save, bias).
 */
import { AdapterError } from '../../core/errors.js';

export const PEFT_PREFIX = 'base_model.model.';

export type LoraPart = 'a' | 'b' | 'bBias' | 'magnitude' | 'embA' | 'embB';

const LORA_SUFFIXES: [suffix: string, part: LoraPart][] = [
  ['.lora_A.weight', 'a'],
  ['.lora_B.weight', 'b'],
  ['.lora_B.bias', 'bBias'],
  ['.lora_magnitude_vector', 'magnitude'],
  ['.lora_embedding_A', 'embA'],
  ['.lora_embedding_B', 'embB'],
];

const TOKEN_DELTA_SUFFIX = '.token_adapter.trainable_tokens_delta';

export interface ClassifiedKeys {
  /** module path → part → full tensor key, modules in file order. */
  lora: Map<string, Partial<Record<LoraPart, string>>>;
  /** module path → full tensor key of `trainable_tokens_delta`. */
  tokenDeltas: Map<string, string>;
  /** Other tensors: full key → base parameter name (prefix and wrapper infixes removed). */
  saved: Map<string, string>;
}

export function classifyKeys(keys: readonly string[], file: string): ClassifiedKeys {
  const out: ClassifiedKeys = { lora: new Map(), tokenDeltas: new Map(), saved: new Map() };
  for (const key of keys) {
    if (!key.startsWith(PEFT_PREFIX)) {
      throw new AdapterError(
        `${file}: tensor '${key}' does not start with '${PEFT_PREFIX}', so it is not a PEFT adapter tensor; re-save the adapter with PEFT's save_pretrained.`,
      );
    }
    const rest = key.slice(PEFT_PREFIX.length);
    const lora = LORA_SUFFIXES.find(([s]) => rest.endsWith(s));
    if (lora) {
      const modulePath = rest.slice(0, -lora[0].length);
      const entry = out.lora.get(modulePath) ?? {};
      entry[lora[1]] = key;
      out.lora.set(modulePath, entry);
      continue;
    }
    if (rest.endsWith(TOKEN_DELTA_SUFFIX)) {
      out.tokenDeltas.set(rest.slice(0, -TOKEN_DELTA_SUFFIX.length), key);
      continue;
    }
    // `modules_to_save.<adapter>.` (older saves) and `base_layer.` (bias of a LoRA-wrapped module) are wrapper infixes.
    out.saved.set(key, rest.replace(/(^|\.)modules_to_save\.[^.]+\./, '$1').replace(/\.base_layer\./, '.'));
  }
  return out;
}
