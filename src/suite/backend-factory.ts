/** Builds the differential backend a spec asks for. */
import type { DifferentialBackend } from '../backends/contract.js';
import { DummyDifferentialBackend } from '../backends/dummy.js';
import { createEngineBackend } from '../backends/engine.js';
import { createHttpBackendFromSpec } from '../backends/http/index.js';
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
  if (spec.defaults.differential) return single(spec.models.ft);
  const base = await single({ ...spec.models.base, adapter: null });
  const ft = await single(spec.models.ft);
  return new TwoModelDifferential(base, ft);
}
