/**
 * Runs a validated suite against one backend (core-suite §4): builds every probe first,
 * preflight finite check, then the entries in declaration order — disabled → SKIP, an
 * exception → that probe's ERROR, null_adapter stats merged for later probes.
 * The runner never builds or closes the backend.
 */
import type { DifferentialBackend } from '../backends/contract.js';
import { BackendNotAvailableError, ProbeError } from '../core/errors.js';
import type { DeterminismReport, NullStat, ProbeResult, SuiteResult } from '../core/results.js';
import type { Section } from '../core/sections.js';
import { SWAY_VERSION } from '../core/version.js';
import type { NullStatsByRank, NullStatsMap, RunContext } from '../probes/types.js';
import type { BuiltProbe, ProbeRegistryPort } from './deps.js';
import type { LoadedSpec } from './spec-types.js';

export type ProgressEvent =
  | { type: 'start'; total: number }
  | { type: 'probe-start'; index: number; total: number; name: string; kind: string }
  | { type: 'probe-end'; index: number; total: number; result: ProbeResult }
  | { type: 'end'; suite: SuiteResult };

export interface RunOptions {
  specPath?: string;
  sections?: readonly Section[] | null;
  docText?: string | null;
  skipPreflight?: boolean;
  onProgress?: (e: ProgressEvent) => void;
  /** Monotonic clock in seconds (tests inject a fake one). */
  clock?: () => number;
  now?: () => Date;
}

const CPU_NOTE = 'CPU-only backend: strict determinism depends on BLAS impl';

/** Determinism class: our engine runs on CPU in JS/onnxruntime; every run is seeded explicitly. */
export function determinismFor(seed: number, backend: DifferentialBackend | null): DeterminismReport {
  const notes = [CPU_NOTE];
  if (backend && backend.kind === 'http') notes.push('http backend: determinism depends on the serving engine');
  return { class: 'best_effort', seed, notes };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}

function isStatsMap(v: unknown): v is Record<string, NullStat> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0;
}

function errorResult(name: string, kind: string, err: unknown): ProbeResult {
  let message: string;
  if (err instanceof ProbeError) message = err.message;
  else if (err instanceof Error) message = `${err.name === 'Error' ? 'Error' : err.name}: ${err.message}`;
  else message = `Error: ${String(err)}`;
  return {
    name,
    kind,
    verdict: 'error',
    score: null,
    raw: null,
    z_score: null,
    base_value: null,
    ft_value: null,
    evidence: {},
    message,
    duration_s: 0,
    ci_95: null,
  };
}

function backendStats(backend: DifferentialBackend | null): Record<string, number> {
  if (!backend?.stats) return {};
  try {
    return { ...backend.stats() };
  } catch {
    return {};
  }
}

export async function runSuite(
  spec: LoadedSpec,
  backend: DifferentialBackend | null,
  registry: ProbeRegistryPort,
  options: RunOptions = {},
): Promise<SuiteResult> {
  const clock = options.clock ?? (() => performance.now() / 1000);
  const now = options.now ?? (() => new Date());
  const specPath = options.specPath ?? '<memory>';
  const started = now();
  const entries = spec.suite;
  const built: BuiltProbe[] = entries.map((raw) => registry.buildProbe(raw));

  const needing = [
    ...new Set(built.filter((b) => b.spec.enabled !== false && b.probe.needsBackend).map((b) => b.probe.kind)),
  ].sort();
  if (!backend && needing.length) {
    throw new BackendNotAvailableError(
      `<runner: spec=${specPath}>`,
      'hf',
      `the runner got no backend but the suite needs one for [${needing.join(', ')}]; build a backend or remove those probes`,
    );
  }
  const determinism = determinismFor(spec.defaults.seed, backend);
  const base = {
    backend,
    seed: spec.defaults.seed,
    topK: spec.defaults.top_k,
    sections: options.sections ?? null,
    docText: options.docText ?? null,
    specDir: spec.specDir,
  };
  const finish = (probes: ProbeResult[], nullStats: Record<string, NullStat>): SuiteResult => {
    const suite: SuiteResult = {
      spec_path: specPath,
      started_at: started,
      finished_at: now(),
      base_model_id: spec.models.base.base,
      adapter_id: spec.models.ft.adapter ?? '',
      sway_version: SWAY_VERSION,
      probes,
      null_stats: nullStats,
      determinism,
      backend_stats: backendStats(backend),
    };
    options.onProgress?.({ type: 'end', suite });
    return suite;
  };

  options.onProgress?.({ type: 'start', total: entries.length });
  if (!options.skipPreflight && backend?.preflightFiniteCheck) {
    const t0 = clock();
    let ok = true;
    let reason = '';
    try {
      const r = await backend.preflightFiniteCheck();
      ok = r.ok;
      reason = r.reason;
    } catch (err) {
      ok = false;
      reason = `preflight raised ${(err as Error).name ?? 'Error'}: ${(err as Error).message ?? String(err)}`;
    }
    if (!ok) {
      return finish(
        [
          {
            name: '__preflight__',
            kind: 'preflight',
            verdict: 'error',
            score: null,
            raw: null,
            z_score: null,
            base_value: null,
            ft_value: null,
            evidence: { preflight_reason: reason },
            message: `backend preflight failed \u2014 suite aborted before any probe ran. ${reason}`,
            duration_s: clock() - t0,
            ci_95: null,
          },
        ],
        {},
      );
    }
  }

  const suiteKinds = entries.map((e) => (typeof e['kind'] === 'string' ? e['kind'] : ''));
  let nullStats: Record<string, NullStat> = {};
  let nullByRank: Record<string, Record<string, NullStat>> = {};
  let frozenStats: NullStatsMap = deepFreeze({});
  let frozenByRank: NullStatsByRank = deepFreeze({});
  const probes: ProbeResult[] = [];
  const total = built.length;
  for (let idx = 0; idx < total; idx++) {
    const { probe, spec: pspec } = built[idx] as BuiltProbe;
    options.onProgress?.({ type: 'probe-start', index: idx, total, name: pspec.name, kind: probe.kind });
    if (pspec.enabled === false) {
      const r: ProbeResult = {
        name: pspec.name,
        kind: probe.kind,
        verdict: 'skip',
        score: null,
        raw: null,
        z_score: null,
        base_value: null,
        ft_value: null,
        evidence: {},
        message: 'disabled in spec',
        duration_s: 0,
        ci_95: null,
      };
      probes.push(r);
      options.onProgress?.({ type: 'probe-end', index: idx, total, result: r });
      continue;
    }
    const ctx: RunContext = {
      ...base,
      nullStats: frozenStats,
      nullStatsByRank: frozenByRank,
      downstreamKinds: Object.freeze(suiteKinds.slice(idx + 1).filter((k) => k)),
    };
    const t0 = clock();
    let result: ProbeResult;
    try {
      result = await probe.run(pspec, ctx);
    } catch (err) {
      result = errorResult(pspec.name, probe.kind, err);
    }
    result = { ...result, duration_s: clock() - t0 };
    probes.push(result);
    if (probe.kind === 'null_adapter' && isStatsMap(result.evidence['null_stats'])) {
      nullStats = { ...nullStats, ...(result.evidence['null_stats'] as Record<string, NullStat>) };
      const byRank = result.evidence['null_stats_by_rank'];
      if (byRank && typeof byRank === 'object') {
        nullByRank = { ...nullByRank, ...(byRank as Record<string, Record<string, NullStat>>) };
      }
      frozenStats = deepFreeze(structuredClone(nullStats));
      frozenByRank = deepFreeze(structuredClone(nullByRank));
    }
    options.onProgress?.({ type: 'probe-end', index: idx, total, result });
  }
  return finish(probes, nullStats);
}
