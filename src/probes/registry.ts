/**
 * The probe registry: kind -> definition, and the spec validation that runs over a whole
 * suite before any model is loaded.
 */
import { SpecValidationError, SwayError } from '../core/errors.js';
import { formatZodIssues } from '../core/schema.js';
import type { Category } from '../core/results.js';
import { adapterAblation } from './ablation/adapter-ablation.js';
import { adapterRevert } from './adherence/adapter-revert.js';
import { clusterKl } from './adherence/cluster-kl.js';
import { deltaKl } from './adherence/delta-kl.js';
import { multiTurnCoherenceDecay } from './adherence/multi-turn.js';
import { promptCollapse } from './adherence/prompt-collapse.js';
import { makeNullAdapter } from './baseline/null-adapter.js';
import { ATTRIBUTION_AND_CALIBRATION_PROBES } from './catalog-attribution.js';
import type { BaseProbeSpec, ProbeDefinition } from './types.js';

const table = new Map<string, ProbeDefinition>();

function register(def: ProbeDefinition): void {
  if (table.has(def.kind)) throw new SwayError(`internal: duplicate probe kind '${def.kind}' in the registry`, 'SWAY_RUNTIME', 3);
  table.set(def.kind, def);
}

export function lookupProbe(kind: string): ProbeDefinition | undefined {
  return table.get(kind);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const BUILTIN: ProbeDefinition<any>[] = [
  makeNullAdapter(lookupProbe),
  deltaKl,
  clusterKl,
  promptCollapse,
  adapterRevert,
  multiTurnCoherenceDecay,
  adapterAblation,
  ...ATTRIBUTION_AND_CALIBRATION_PROBES,
];
for (const def of BUILTIN) register(def);

export function registeredKinds(): string[] {
  return [...table.keys()].sort();
}

export function allProbes(): ProbeDefinition[] {
  return [...table.values()];
}

export function categoryOf(kind: string): Category | null {
  if (kind === 'preflight') return null;
  return table.get(kind)?.category ?? null;
}

export interface BuiltProbe {
  probe: ProbeDefinition;
  spec: BaseProbeSpec;
}

export function buildProbe(raw: Record<string, unknown>): BuiltProbe {
  const source = typeof raw['name'] === 'string' ? raw['name'] : '<unknown>';
  const kind = raw['kind'];
  if (typeof kind !== 'string') throw new SpecValidationError("probe entry missing string 'kind' field", source);
  const probe = table.get(kind);
  if (!probe) throw new SpecValidationError(`unknown probe kind '${kind}' (registered: ${registeredKinds().join(', ')})`, source);
  const res = probe.schema.safeParse(raw);
  if (!res.success) throw new SpecValidationError(formatZodIssues(res.error, probe.schema).replace(/\n/g, '; '), source);
  return { probe, spec: res.data };
}

/** Validates every entry and reports all failures at once. */
export function validateAllProbes(suite: readonly Record<string, unknown>[]): BuiltProbe[] {
  const built: BuiltProbe[] = [];
  const lines: string[] = [];
  suite.forEach((raw, idx) => {
    try {
      built.push(buildProbe(raw));
    } catch (err) {
      const label = typeof raw?.['name'] === 'string' ? raw['name'] : `entry #${idx}`;
      lines.push(`  - ${label}: ${(err as Error).message}`);
    }
  });
  if (lines.length) throw new SpecValidationError(`spec contains invalid probe entries:\n${lines.join('\n')}`);
  return built;
}
