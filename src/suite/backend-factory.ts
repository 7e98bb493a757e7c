/** Builds the differential backend a spec asks for. */
import type { DifferentialBackend } from '../backends/contract.js';
import { DummyDifferentialBackend } from '../backends/dummy.js';
import { createEngineBackend } from '../backends/engine.js';
import { createHttpBackendFromSpec, sameModelWarning } from '../backends/http/index.js';
import { TwoModelDifferential } from '../backends/two-model.js';
import { BackendNotAvailableError } from '../core/errors.js';
import type { ModelSpec, SwaySpec } from '../core/schema.js';

async function single(model: ModelSpec): Promise<DifferentialBackend> {
  switch (model.kind) {
    case 'hf':
      return createEngineBackend({ base: model.base, adapter: model.adapter });
    case 'dummy':
      return new DummyDifferentialBackend();
    case 'mlx':
      throw new BackendNotAvailableError('mlx', 'MLX runs on Apple silicon only and is not part of the TypeScript port', 'use kind: hf (the local ONNX Runtime engine) instead');
    case 'api':
    case 'http':
      return createHttpBackendFromSpec(model);
    case 'custom':
      throw new BackendNotAvailableError('custom', 'custom Python entry points cannot run in the TypeScript port', 'implement DifferentialBackend in TypeScript and pass it to executeSpec()');
  }
}

export async function buildBackend(spec: SwaySpec): Promise<DifferentialBackend> {
  if (spec.defaults.differential) {
    const backend = await single(spec.models.ft);
    const warning = sameModelWarning(spec.models.ft);
    if (warning) (backend.warnings as string[]).push(warning);
    return backend;
  }
  const base = await single({ ...spec.models.base, adapter: null });
  // Two served models: the ft entry's `base` is the fine-tuned model's served name.
  const ftModel = spec.models.ft;
  const remote = (ftModel.kind === 'http' || ftModel.kind === 'api') && !ftModel.views['ft'];
  const ft = await single(remote ? { ...ftModel, views: { ...ftModel.views, ft: ftModel.base } } : ftModel);
  return new TwoModelDifferential(base, ft);
}
