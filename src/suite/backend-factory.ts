/**
 * Builds a DifferentialBackend from a ModelSpec (cli-backends §4). Backend modules are
 * loaded lazily so a spec that needs no model never loads the engine.
 */
import type { DifferentialBackend } from '../backends/contract.js';
import { BackendNotAvailableError, SpecValidationError } from '../core/errors.js';
import type { ModelSpecValue } from './spec-types.js';

export interface FactoryContext {
  spec?: unknown;
  specPath?: string;
}

export type BackendFactory = (model: ModelSpecValue, ctx: FactoryContext) => Promise<DifferentialBackend>;

/** Backend modules load lazily: a spec that needs no model never loads onnxruntime. */
async function lazy<T>(kind: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw new BackendNotAvailableError(kind, `this build cannot load the ${kind} backend: ${(err as Error).message}`);
  }
}

function where(ctx: FactoryContext): string | undefined {
  return ctx.specPath;
}

/** The default factory: `hf` → the local engine, `dummy` → the canned dummy backend. */
export const buildBackend: BackendFactory = async (model, ctx) => {
  switch (model.kind) {
    case 'hf': {
      if (!model.adapter) {
        throw new SpecValidationError(
          'hf backend requires an adapter path (set `adapter:` on the ft model, models.ft.adapter)',
          where(ctx),
        );
      }
      const { createEngineBackend } = await lazy('hf', () => import('../backends/engine.js'));
      return createEngineBackend({ base: model.base, adapter: model.adapter });
    }
    case 'dummy': {
      // Synthetic canned responses (cli-backends §7): for tests, examples and gate dry runs.
      const { createDummyBackend } = await lazy('dummy', () => import('../backends/dummy.js'));
      return createDummyBackend();
    }
    case 'mlx':
      throw new BackendNotAvailableError('mlx', 'MLX runs only on Apple silicon under Python', 'use kind: hf (the local engine) instead');
    case 'api':
      if (!model.endpoint) {
        throw new SpecValidationError(
          'api backend requires `endpoint:` on the ModelSpec (the base URL of the /v1/completions server)',
          where(ctx),
        );
      }
      throw new BackendNotAvailableError('api', 'the http backend is not part of this build yet');
    case 'custom':
      throw new BackendNotAvailableError('custom', 'custom Python entry points cannot be loaded by the TypeScript port', 'use kind: hf or dummy');
    default:
      throw new SpecValidationError(`unknown backend kind: '${model.kind}'`, where(ctx));
  }
};

/** `defaults.differential: false`: two separate backends wrapped as one. */
export async function buildTwoModel(
  models: { base: ModelSpecValue; ft: ModelSpecValue },
  ctx: FactoryContext,
  factory: BackendFactory = buildBackend,
): Promise<DifferentialBackend> {
  if (models.base.kind === 'hf' && !models.base.adapter) {
    throw new SpecValidationError(
      'defaults.differential is false but models.base (kind hf) has no adapter — the hf backend always loads an adapter; ' +
        'set models.base.adapter or switch to differential: true',
      where(ctx),
    );
  }
  const { createTwoModelBackend } = await lazy('two-model', () => import('../backends/two-model.js'));
  const base = await factory(models.base, ctx);
  let ft: DifferentialBackend;
  try {
    ft = await factory(models.ft, ctx);
  } catch (err) {
    await base.close?.();
    throw err;
  }
  return createTwoModelBackend({ base, ft });
}
