/**
 * Presents a checkpoint whose tensors use an older prefix (a family's `legacyPrefixes`, e.g.
 * gemma3 conditional-generation `language_model.model.*`) under the canonical prefix the
 * family naming and PEFT module paths use (`model.language_model.*`). Reads, shapes and
 * errors still go to the stored tensor, so messages name what is in the file.
 */
import type { WeightSource } from './types.js';
import { readWeightInto } from './weight-source.js';

export function withLegacyNames(src: WeightSource, prefixes: Readonly<Record<string, string>> | undefined): WeightSource {
  if (!prefixes) return src;
  const stored = src.names();
  const present = new Set(stored);
  const toStored = new Map<string, string>();
  for (const name of stored) {
    for (const [legacy, canonical] of Object.entries(prefixes)) {
      if (!name.startsWith(legacy)) continue;
      const renamed = canonical + name.slice(legacy.length);
      if (!present.has(renamed)) toStored.set(renamed, name);
      break;
    }
  }
  if (toStored.size === 0) return src;
  const renamedFrom = new Set(toStored.values());
  const real = (name: string) => toStored.get(name) ?? name;
  return {
    description: src.description,
    names: () => [...stored.filter((n) => !renamedFrom.has(n)), ...toStored.keys()],
    has: (name) => toStored.has(name) || (present.has(name) && !renamedFrom.has(name)),
    shape: (name) => src.shape(real(name)),
    dtype: (name) => src.dtype(real(name)),
    readF32: (name, options) => src.readF32(real(name), options),
    readF32Into: (name, out, options) => readWeightInto(src, real(name), out, options),
    close: () => src.close(),
  };
}
