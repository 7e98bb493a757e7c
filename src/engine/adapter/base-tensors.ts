/**
 * The base checkpoint as PEFT sees it after loading an adapter: tensors the adapter loads
 * into the base module itself (LoadedAdapter.baseTensors) replace the checkpoint's in
 * every view. The graph and the DoRA norms read the base through this.
 */
import type { WeightSource } from '../types.js';
import { readWeightInto } from '../weight-source.js';
import type { LoadedAdapter } from './types.js';

export function withBaseTensors(weights: WeightSource, adapter: LoadedAdapter | null): WeightSource {
  const replaced = adapter?.baseTensors;
  if (!replaced || replaced.size === 0) return weights;
  return {
    description: `${weights.description} (with ${replaced.size} tensor(s) from ${adapter!.dir})`,
    names: () => weights.names(),
    has: (name) => weights.has(name),
    shape: (name) => replaced.get(name)?.shape.slice() ?? weights.shape(name),
    dtype: (name) => (replaced.has(name) ? 'F32' : weights.dtype(name)),
    readF32: (name, options) => replaced.get(name)?.data.slice() ?? weights.readF32(name, options),
    readF32Into: (name, out, options) => {
      const own = replaced.get(name);
      if (own) out.set(own.data.subarray(options?.start ?? 0, (options?.start ?? 0) + out.length));
      else readWeightInto(weights, name, out, options);
    },
    close: () => weights.close(),
  };
}
