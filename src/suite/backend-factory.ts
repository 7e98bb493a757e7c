/**
 * Builds a DifferentialBackend from a ModelSpec (cli-backends §4). Backend modules are
 * loaded lazily so a spec that needs no model never loads the engine.
 */
import type { DifferentialBackend } from '../backends/contract.js';
import { BackendNotAvailableError, SpecValidationError, SwayError } from '../core/errors.js';
import type { ModelSpecValue } from './spec-types.js';

export interface FactoryContext {
  spec?: unknown;
  specPath?: string;
}

export type BackendFactory = (model: ModelSpecValue, ctx: FactoryContext) => Promise<DifferentialBackend>;

type Mod = Record<string, unknown>;
const ENGINE_MODULE = '../backends/engine.js';
const DUMMY_MODULE = '../backends/dummy.js';
const TWO_MODEL_MODULE = '../backends/two-model.js';

async function importBackend(spec: string, kind: string): Promise<Mod> {
  try {
    return (await import(spec)) as Mod;
  } catch (err) {
    throw new BackendNotAvailableError(kind, `this build cannot load ${spec}: ${(err as Error).message}`);
  }
}

async function construct(mod: Mod, names: string[], args: unknown, kind: string): Promise<DifferentialBackend> {
  for (const n of names) {
    const v = mod[n];
    if (typeof v !== 'function') continue;
    const isClass = /^class\s/.test(Function.prototype.toString.call(v));
    const out = isClass ? new (v as new (a: unknown) => unknown)(args) : await (v as (a: unknown) => unknown)(args);
    return out as DifferentialBackend;
  }
  throw new BackendNotAvailableError(kind, `no backend constructor (${names.join('/')}) found`);
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
      const mod = await importBackend(ENGINE_MODULE, 'hf');
      return construct(mod, ['createEngineBackend'], { base: model.base, adapter: model.adapter, dtype: model.dtype, device: model.device }, 'hf');
    }
    case 'dummy': {
      const mod = await importBackend(DUMMY_MODULE, 'dummy');
      return construct(mod, ['createDummyBackend', 'DummyDifferentialBackend', 'DummyBackend'], {}, 'dummy');
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
  const mod = await importBackend(TWO_MODEL_MODULE, 'two-model');
  const base = await factory(models.base, ctx);
  let ft: DifferentialBackend;
  try {
    ft = await factory(models.ft, ctx);
  } catch (err) {
    await base.close?.();
    throw err;
  }
  try {
    return await construct(mod, ['createTwoModelBackend', 'TwoModelDifferential', 'TwoModelBackend'], { base, ft }, 'two-model');
  } catch (err) {
    await base.close?.();
    await ft.close?.();
    throw err instanceof SwayError ? err : new BackendNotAvailableError('two-model', (err as Error).message);
  }
}
