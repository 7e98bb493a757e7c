/**
 * The daemon's runtime over the real suite: validate with the suite's loader, key the
 * cache on the spec's fine-tuned model, load backends with the suite's factory, and
 * answer with the `sway run --json` text. Specs with `defaults.differential: false`
 * (two models) are not cached: the suite builds and closes their backends per request.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { DifferentialBackend } from '../backends/contract.js';
import { SpecValidationError } from '../core/errors.js';
import type { ModelKey } from './backend-cache.js';
import type { ServeRuntime } from './runtime.js';
import { suitePort, type LoadedSpecLike, type ModelSpecLike } from './suite-port.js';

/** Local paths become absolute (against the spec's directory) so equal models share a key. */
function keyPath(value: string, specDir: string): string {
  if (isAbsolute(value)) return value;
  const candidate = resolve(specDir, value);
  return existsSync(candidate) ? candidate : value;
}

export function modelKeyOf(model: ModelSpecLike, specPath: string): ModelKey {
  const specDir = specPath.startsWith('<') ? process.cwd() : dirname(resolve(specPath));
  return {
    kind: model.kind ?? 'hf',
    base: keyPath(model.base, specDir),
    adapter: model.adapter ? keyPath(model.adapter, specDir) : null,
    dtype: model.dtype ?? 'auto',
    device: model.device ?? 'auto',
  };
}

export function createDefaultRuntime(): ServeRuntime {
  // The loader needs the spec that asked for the model (some backends read spec-level
  // settings); the latest spec per key is remembered for the load that follows prepare().
  const specFor = new Map<string, { spec: LoadedSpecLike; specPath: string; model: ModelSpecLike }>();
  return {
    async prepare(specText, specPath) {
      const port = await suitePort();
      const spec = await port.loadSpecText(specText, specPath);
      if (!spec?.models?.ft) throw new SpecValidationError('models.ft is required', specPath);
      const differential = spec.defaults?.differential !== false;
      const model = differential ? modelKeyOf(spec.models.ft, specPath) : null;
      if (model) specFor.set(JSON.stringify(model), { spec, specPath, model: spec.models.ft });
      return {
        model,
        async execute(backend: DifferentialBackend | undefined) {
          const { suite, score } = await port.executeSpec(spec, backend ? { specPath, backend } : { specPath });
          return port.reportJson(suite, score);
        },
      };
    },
    async loadBackend(model) {
      const port = await suitePort();
      const key = JSON.stringify(model);
      const origin = specFor.get(key);
      if (!origin) throw new SpecValidationError(`no spec asked for model ${model.base}`, '<serve>');
      try {
        return await port.buildBackend(origin.model, origin.spec, origin.specPath);
      } finally {
        specFor.delete(key);
      }
    },
  };
}
