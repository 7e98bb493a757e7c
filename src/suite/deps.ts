/**
 * The suite layer's view of the probe registry and the sway.yaml zod schema (owned by
 * probes/ and core/). The runner takes the registry as a parameter so tests can inject one.
 */
import { SwaySpecSchema } from '../core/schema.js';
import { buildProbe, categoryOf, listProbes, validateAllProbes } from '../probes/registry.js';
import type { BaseProbeSpec, ProbeDefinition } from '../probes/types.js';

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

export interface ZodIssueLike {
  path: PropertyKey[];
  message: string;
  code?: string;
  keys?: string[];
}

export interface SchemaPort {
  safeParse(data: unknown): { success: true; data: unknown } | { success: false; error: { issues: ZodIssueLike[] } };
  /** The zod schema itself (for JSON Schema export). */
  schema: typeof SwaySpecSchema;
}

const REGISTRY: ProbeRegistryPort = {
  buildProbe: (raw) => buildProbe(raw) as BuiltProbe,
  validateAllProbes,
  categoryOf,
  listProbes: () => listProbes() as ProbeDefinition[],
};

const SCHEMA: SchemaPort = {
  safeParse: (d) => SwaySpecSchema.safeParse(d) as ReturnType<SchemaPort['safeParse']>,
  schema: SwaySpecSchema,
};

export function probeRegistry(): Promise<ProbeRegistryPort> {
  return Promise.resolve(REGISTRY);
}

export function specSchema(): Promise<SchemaPort> {
  return Promise.resolve(SCHEMA);
}
