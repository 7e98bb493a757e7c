/**
 * The suite layer's view of the probe registry and the sway.yaml zod schema. Both are
 * owned by the probes/core layers; they are looked up once and cached.
 */
import type { ProbeDefinition, BaseProbeSpec } from '../probes/types.js';
import { SwayError } from '../core/errors.js';

export interface BuiltProbe {
  probe: ProbeDefinition;
  spec: BaseProbeSpec;
}

export interface ProbeRegistryPort {
  buildProbe(raw: unknown): BuiltProbe;
  validateAllProbes(suite: readonly unknown[]): void;
  categoryOf(kind: string): string;
  listProbes(): ProbeDefinition[];
}

export interface SchemaPort {
  /** zod safeParse of the whole spec. */
  safeParse(data: unknown): { success: true; data: unknown } | { success: false; error: { issues: ZodIssueLike[] } };
  /** The zod schema itself (for JSON Schema export). */
  schema: unknown;
}

export interface ZodIssueLike {
  path: PropertyKey[];
  message: string;
  code?: string;
  keys?: string[];
}

type Mod = Record<string, unknown>;

const REGISTRY = '../probes/registry.js';
const SCHEMA = '../core/schema.js';

async function importOrExplain(spec: string, what: string): Promise<Mod> {
  try {
    return (await import(spec)) as Mod;
  } catch (err) {
    throw new SwayError(`this sway build has no ${what} (${spec}): ${(err as Error).message}`, 'SWAY_RUNTIME', 3);
  }
}

let registryPromise: Promise<ProbeRegistryPort> | null = null;
let schemaPromise: Promise<SchemaPort> | null = null;

export function probeRegistry(): Promise<ProbeRegistryPort> {
  registryPromise ??= (async () => {
    const m = await importOrExplain(REGISTRY, 'probe registry');
    const fn = (name: string): ((...a: unknown[]) => unknown) => {
      const f = m[name];
      if (typeof f !== 'function') throw new SwayError(`probe registry lacks ${name}()`, 'SWAY_RUNTIME', 3);
      return f as (...a: unknown[]) => unknown;
    };
    const list = (): ProbeDefinition[] => {
      for (const name of ['listProbes', 'allProbes', 'registeredProbes']) {
        const f = m[name];
        if (typeof f === 'function') return [...(f() as Iterable<ProbeDefinition>)];
      }
      for (const v of Object.values(m)) {
        if (v instanceof Map) return [...(v.values() as Iterable<ProbeDefinition>)].filter((d) => d && typeof d.kind === 'string');
      }
      return [];
    };
    return {
      buildProbe: (raw) => fn('buildProbe')(raw) as BuiltProbe,
      validateAllProbes: (suite) => void fn('validateAllProbes')(suite),
      categoryOf: (kind) => {
        try {
          const c = fn('categoryOf')(kind);
          return typeof c === 'string' ? c : 'adherence';
        } catch {
          return 'adherence';
        }
      },
      listProbes: list,
    };
  })();
  registryPromise.catch(() => (registryPromise = null));
  return registryPromise;
}

function isSpecSchema(v: unknown): v is SchemaPort['schema'] & { safeParse: SchemaPort['safeParse'] } {
  if (!v || typeof v !== 'object') return false;
  const s = v as { safeParse?: unknown; shape?: Record<string, unknown> };
  return typeof s.safeParse === 'function' && !!s.shape && 'models' in s.shape && 'suite' in s.shape;
}

export function specSchema(): Promise<SchemaPort> {
  schemaPromise ??= (async () => {
    const m = await importOrExplain(SCHEMA, 'sway.yaml schema');
    const found = Object.values(m).find(isSpecSchema);
    if (!found) throw new SwayError('the sway.yaml schema module exports no spec schema', 'SWAY_RUNTIME', 3);
    return { safeParse: (d) => found.safeParse(d), schema: found };
  })();
  schemaPromise.catch(() => (schemaPromise = null));
  return schemaPromise;
}
