/**
 * The library entry point: everything `sway run` does, as functions. Load a spec, build
 * (or accept) a backend, run the suite, compute the composite score.
 */
import type { DifferentialBackend } from '../backends/contract.js';
import type { SuiteResult, SwayScore } from '../core/results.js';
import { mergeScoreWeights, type ModelSpec } from '../core/schema.js';
import { toJson } from '../report/json.js';
import { buildBackend as buildSpecBackend } from './backend-factory.js';
import { loadSpecFile, loadSpecText, type LoadedSpec } from './load.js';
import { runSuite, type ProgressEvent } from './runner.js';
import { computeScore } from './score.js';
import { loadDlmContext } from './dlm-context.js';
import { specWarnings } from './spec-warnings.js';

export { loadSpecFile, loadSpecText };
export type { LoadedSpec };

export interface ExecuteOptions {
  specPath?: string;
  /** A backend to use instead of building one (the daemon passes its warm backends). */
  backend?: DifferentialBackend;
  /** Partial category weights laid over the spec's (validated). */
  weights?: Record<string, number>;
  onProgress?: (e: ProgressEvent) => void;
  /**
   * Called once per warning (spec keys that do nothing here, loader and adapter warnings)
   * before the first probe runs. The same warnings are in the result's `warnings`.
   */
  onWarning?: (message: string) => void;
}

/** The run's warnings in order: spec keys, then what loading the spec noticed, then the backend's. */
export function gatherWarnings(loaded: LoadedSpec, backend: DifferentialBackend | null, source: string): string[] {
  return [...new Set([...specWarnings(loaded.spec, source), ...(loaded.warnings ?? []), ...(backend?.warnings ?? [])])];
}

export async function executeSpec(loaded: LoadedSpec, options: ExecuteOptions = {}): Promise<{ suite: SuiteResult; score: SwayScore }> {
  const { spec } = loaded;
  const needsBackend = loaded.probes.some((p) => p.spec.enabled && p.probe.needsBackend);
  const ownBackend = !options.backend && needsBackend;
  const backend = options.backend ?? (needsBackend ? await buildSpecBackend(spec) : null);
  try {
    const specPath = options.specPath ?? loaded.specPath;
    const warnings = gatherWarnings(loaded, backend, specPath);
    for (const w of warnings) options.onWarning?.(w);
    const dlm = spec.dlm_source ? loadDlmContext(spec.dlm_source) : null;
    const suite = await runSuite({
      probes: loaded.probes,
      rawSuite: spec.suite,
      backend,
      seed: spec.defaults.seed,
      topK: spec.defaults.top_k,
      specPath,
      specDir: loaded.specDir,
      baseModelId: spec.models.base.base,
      adapterId: spec.models.ft.adapter ?? '',
      sections: dlm?.sections ?? null,
      docText: dlm?.docText ?? null,
      warnings,
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const weights = options.weights ? mergeScoreWeights({ ...(spec.defaults.score_weights ?? {}), ...options.weights }) : (spec.defaults.score_weights ?? undefined);
    return { suite, score: computeScore(suite, weights) };
  } finally {
    if (ownBackend) await backend?.close?.();
  }
}

/** Builds the backend one model entry describes (for callers that cache backends). */
export async function buildBackend(model: ModelSpec, loaded: LoadedSpec): Promise<DifferentialBackend> {
  return buildSpecBackend({ ...loaded.spec, models: { ...loaded.spec.models, ft: model } });
}

export { toJson as reportJson };
