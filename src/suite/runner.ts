/**
 * The suite runner: preflight, then every probe in declaration order, one at a time.
 * A probe's exception becomes that probe's ERROR and the suite goes on; null statistics
 * published by null_adapter reach the probes after it through read-only maps.
 */
import { ZodError } from 'zod';
import type { DifferentialBackend } from '../backends/contract.js';
import { BackendNotAvailableError, ViewUnavailableError, isSwayError } from '../core/errors.js';
import { plainResult } from '../core/finalize.js';
import type { NullStat, ProbeResult, SuiteResult } from '../core/results.js';
import type { Section } from '../core/sections.js';
import { setTraceProbe } from '../core/trace.js';
import { SWAY_VERSION } from '../core/version.js';
import type { BuiltProbe } from '../probes/registry.js';
import type { RunContext } from '../probes/types.js';

export interface RunSuiteOptions {
  probes: BuiltProbe[];
  rawSuite: readonly Record<string, unknown>[];
  backend: DifferentialBackend | null;
  seed: number;
  topK: number;
  specPath: string;
  specDir: string;
  baseModelId: string;
  adapterId: string;
  sections?: readonly Section[] | null;
  docText?: string | null;
  skipPreflight?: boolean;
  /** Warnings gathered before the run (spec, loader, backend); recorded in the result. */
  warnings?: readonly string[];
  /** Called for each warning a probe raises while it runs (also recorded in the result). */
  onWarning?: (message: string) => void;
  onProgress?: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | { type: 'start'; index: number; total: number; name: string; kind: string }
  /** Inside a long probe: `done` of `of` items (`unit`: chunks, items, runs, ...), only when the count grows. */
  | { type: 'item'; index: number; total: number; name: string; kind: string; done: number; of: number; unit: string }
  | { type: 'done'; index: number; total: number; result: ProbeResult };

/** A probe's RunContext.progress: item events for the probe at `index`, each count only once and only upward. */
function itemProgress(o: RunSuiteOptions, index: number, total: number, name: string, kind: string): RunContext['progress'] {
  const emit = o.onProgress;
  if (!emit) return undefined;
  let last = { done: -1, of: -1, unit: '' };
  return (done, of, unit) => {
    if (!Number.isFinite(done) || !Number.isFinite(of) || of <= 0) return;
    const d = Math.min(Math.max(0, Math.floor(done)), of);
    if (of === last.of && unit === last.unit && d <= last.done) return;
    last = { done: d, of, unit };
    emit({ type: 'item', index, total, name, kind, done: d, of, unit });
  };
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v as object)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

function errorResult(name: string, kind: string, message: string, duration: number, evidence: Record<string, unknown> = {}): ProbeResult {
  return { name, kind, verdict: 'error', score: null, raw: null, z_score: null, base_value: null, ft_value: null, evidence, message, duration_s: duration, ci_95: null };
}

export async function runSuite(o: RunSuiteOptions): Promise<SuiteResult> {
  const started = new Date();
  const needing = [...new Set(o.probes.filter((p) => p.spec.enabled && p.probe.needsBackend).map((p) => p.spec.kind))].sort();
  if (!o.backend && needing.length) {
    throw new BackendNotAvailableError(`runner: spec=${o.specPath}`, 'no model backend was built', `the suite needs one for [${needing.join(', ')}]; build a backend or remove those probes`);
  }
  const determinism = {
    class: 'best_effort' as const,
    seed: o.seed,
    notes: ['CPU-only ONNX Runtime engine: results are deterministic for a seed on one machine; BLAS kernels may differ across CPUs'],
  };
  const warnings = [...(o.warnings ?? [])];
  const warn = (message: string): void => {
    if (warnings.includes(message)) return;
    warnings.push(message);
    o.onWarning?.(message);
  };
  const finish = (probes: ProbeResult[], nullStats: Record<string, NullStat>): SuiteResult => ({
    spec_path: o.specPath,
    started_at: started,
    finished_at: new Date(),
    base_model_id: o.baseModelId,
    adapter_id: o.adapterId,
    sway_version: SWAY_VERSION,
    probes,
    null_stats: nullStats,
    determinism,
    backend_stats: o.backend?.stats?.() ?? {},
    warnings: [...warnings],
  });

  if (o.backend && !o.skipPreflight && o.backend.preflightFiniteCheck) {
    const t0 = performance.now();
    const pre = await o.backend.preflightFiniteCheck();
    if (!pre.ok) {
      const r = errorResult('__preflight__', 'preflight', `backend preflight failed — suite aborted before any probe ran. ${pre.reason}`, (performance.now() - t0) / 1000, { preflight_reason: pre.reason });
      return finish([r], {});
    }
  }

  const kinds = o.rawSuite.map((e) => (typeof e['kind'] === 'string' ? e['kind'] : ''));
  let nullStats: Record<string, NullStat> = {};
  let nullByRank: Record<string, Record<string, NullStat>> = {};
  const results: ProbeResult[] = [];
  const total = o.probes.length;
  for (let idx = 0; idx < total; idx++) {
    const { probe, spec } = o.probes[idx]!;
    o.onProgress?.({ type: 'start', index: idx, total, name: spec.name, kind: spec.kind });
    let result: ProbeResult;
    if (!spec.enabled) {
      result = { name: spec.name, kind: spec.kind, verdict: 'skip', score: null, raw: null, z_score: null, base_value: null, ft_value: null, evidence: {}, message: 'disabled in spec', duration_s: 0, ci_95: null };
    } else {
      const progress = itemProgress(o, idx, total, spec.name, spec.kind);
      const ctx: RunContext = {
        ...(progress ? { progress } : {}),
        backend: o.backend,
        seed: o.seed,
        topK: o.topK,
        sections: o.sections ?? null,
        docText: o.docText ?? null,
        specDir: o.specDir,
        nullStats: deepFreeze(structuredClone(nullStats)),
        nullStatsByRank: deepFreeze(structuredClone(nullByRank)),
        downstreamKinds: kinds.slice(idx + 1).filter(Boolean),
        downstreamEntries: o.rawSuite.slice(idx + 1),
        warn,
      };
      const t0 = performance.now();
      setTraceProbe(spec.name);
      try {
        result = await probe.run(spec, ctx);
      } catch (err) {
        const msg = isSwayError(err)
          ? err.message
          : err instanceof ZodError
            ? `invalid probe settings: ${err.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`).join('; ')}`
            : `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`;
        result = err instanceof ViewUnavailableError ? plainResult(spec.name, spec.kind, 'skip', msg) : errorResult(spec.name, spec.kind, msg, 0);
      }
      setTraceProbe(null);
      result = { ...result, duration_s: (performance.now() - t0) / 1000 };
      if (spec.kind === 'null_adapter') {
        const ns = result.evidence['null_stats'] as Record<string, NullStat> | undefined;
        if (ns && Object.keys(ns).length) {
          nullStats = { ...nullStats, ...ns };
          nullByRank = { ...nullByRank, ...((result.evidence['null_stats_by_rank'] as Record<string, Record<string, NullStat>>) ?? {}) };
        }
      }
    }
    results.push(result);
    o.onProgress?.({ type: 'done', index: idx, total, result });
  }
  return finish(results, nullStats);
}
