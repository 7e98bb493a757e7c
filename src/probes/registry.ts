/**
 * The probe registry: kind → definition, merged from the core catalog (adherence,
 * ablation, baseline) and the attribution/calibration catalog. `buildProbe` validates a
 * raw sway.yaml entry against its kind's strict schema; `validateAllProbes` reports every
 * bad entry of a suite in one error.
 */
import type { z } from 'zod';
import { SpecValidationError } from '../core/errors.js';
import type { Category } from '../core/results.js';
import { ATTRIBUTION_AND_CALIBRATION_PROBES } from './catalog-attribution.js';
import { CORE_PROBES } from './catalog-core.js';
import type { BaseProbeSpec, ProbeDefinition } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyProbe = ProbeDefinition<any>;

function buildRegistry(defs: readonly AnyProbe[]): ReadonlyMap<string, AnyProbe> {
  const map = new Map<string, AnyProbe>();
  for (const d of defs) {
    const old = map.get(d.kind);
    if (old) throw new Error(`duplicate probe kind '${d.kind}': ${old.summary} vs ${d.summary}`);
    map.set(d.kind, d);
  }
  return map;
}

let registryCache: ReadonlyMap<string, AnyProbe> | null = null;

/** kind → definition (built on first use so catalogs may import shared helpers from here). */
export function registry(): ReadonlyMap<string, AnyProbe> {
  registryCache ??= buildRegistry([...CORE_PROBES, ...ATTRIBUTION_AND_CALIBRATION_PROBES]);
  return registryCache;
}

export function listProbes(): AnyProbe[] {
  return [...registry().values()].sort((a, b) => a.kind.localeCompare(b.kind));
}

export function getProbe(kind: string): AnyProbe | undefined {
  return registry().get(kind);
}

export function registeredKinds(): string[] {
  return [...registry().keys()].sort();
}

/** Composite-score category of a kind; unknown kinds count as adherence. */
export function categoryOf(kind: string): Category {
  return registry().get(kind)?.category ?? 'adherence';
}

function entryName(raw: unknown): string | null {
  if (raw && typeof raw === 'object' && typeof (raw as Record<string, unknown>)['name'] === 'string') {
    return (raw as Record<string, string>)['name'] ?? null;
  }
  return null;
}

/** Readable text of a zod error: one `path: message` line per issue. */
export function formatZodIssues(error: z.ZodError): string {
  const lines = error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    return path ? `${path}: ${i.message}` : i.message;
  });
  return `${lines.length} validation error${lines.length === 1 ? '' : 's'}: ${lines.join('; ')}`;
}

export interface BuiltProbe<S extends BaseProbeSpec = BaseProbeSpec> {
  probe: ProbeDefinition<S>;
  spec: S;
}

export function buildProbe(raw: unknown): BuiltProbe {
  const source = entryName(raw) ?? '<unknown>';
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SpecValidationError('probe entry must be a mapping with name and kind', source);
  }
  const kind = (raw as Record<string, unknown>)['kind'];
  if (typeof kind !== 'string') throw new SpecValidationError("probe entry missing string 'kind' field", source);
  const probe = registry().get(kind);
  if (!probe) {
    throw new SpecValidationError(`unknown probe kind '${kind}' (registered: ${registeredKinds().join(', ')})`, source);
  }
  const parsed = probe.schema.safeParse(raw);
  if (!parsed.success) throw new SpecValidationError(formatZodIssues(parsed.error), source);
  return { probe, spec: Object.freeze(parsed.data) as BaseProbeSpec };
}

/** Validates every entry and raises one error listing all bad ones. */
export function validateAllProbes(suite: readonly unknown[]): void {
  const lines: string[] = [];
  suite.forEach((raw, idx) => {
    try {
      buildProbe(raw);
    } catch (err) {
      if (!(err instanceof SpecValidationError)) throw err;
      const label = entryName(raw) ?? `entry #${idx}`;
      const text = err.source ? err.message.slice(err.source.length + 2) : err.message;
      lines.push(`  - ${label}: ${text}`);
    }
  });
  if (lines.length > 0) throw new SpecValidationError(`spec contains invalid probe entries:\n${lines.join('\n')}`);
}
