import type { ProbeResult } from '../../src/core/results.js';
import type { DifferentialBackend } from '../../src/backends/contract.js';
import { makeRunContext, type RunContextInit } from '../../src/probes/context.js';
import { buildProbe } from '../../src/probes/registry.js';

/** Builds the probe from a raw sway.yaml entry and runs it. */
export async function runRaw(raw: Record<string, unknown>, backend: DifferentialBackend | null, init: Partial<RunContextInit> = {}): Promise<ProbeResult> {
  const { probe, spec } = buildProbe(raw);
  return probe.run(spec, makeRunContext({ backend, ...init }));
}

/** A backend wrapper without the batched multi-view call (forces the per-view path). */
export function withoutBatching(b: DifferentialBackend): DifferentialBackend {
  return {
    kind: b.kind,
    asBase: (fn) => b.asBase(fn),
    asFinetuned: (fn) => b.asFinetuned(fn),
    asScaledAdapter: b.asScaledAdapter ? (l, fn) => b.asScaledAdapter!(l, fn) : undefined,
    asNullAdapter: b.asNullAdapter ? (s, o, fn) => b.asNullAdapter!(s, o, fn) : undefined,
  } as DifferentialBackend;
}
