/**
 * The library entry point of the suite layer (what `sway run`, `gate`, serve, watch and
 * the test helpers call): validate every probe before any model loads, resolve the .dlm
 * source, build the backend only when an enabled probe needs one, run, score.
 */
import type { DifferentialBackend } from '../backends/contract.js';
import { SpecValidationError, SwayError } from '../core/errors.js';
import type { SuiteResult, SwayScore } from '../core/results.js';
import type { Section } from '../core/sections.js';
import { buildBackend, buildTwoModel, type BackendFactory } from './backend-factory.js';
import { loadDlmSource } from './dlm/source.js';
import { probeRegistry } from './deps.js';
import { loadSpecFile, loadSpecText } from './loader.js';
import { runSuite, type ProgressEvent } from './runner.js';
import { computeScore, mergeScoreWeights } from './score.js';
import type { LoadedSpec } from './spec-types.js';

export { loadSpecFile, loadSpecText, buildBackend };
export type { LoadedSpec, ProgressEvent, BackendFactory };

export interface ExecuteSpecOptions {
  specPath: string;
  /** A ready backend (not closed afterwards). */
  backend?: DifferentialBackend;
  /** Builds the backend when none is given (default: buildBackend). Closed afterwards. */
  backendFactory?: BackendFactory;
  /** Category weights: CLI --weights win over defaults.score_weights. Partial maps are merged over the defaults. */
  weights?: Record<string, number> | null;
  onProgress?: (e: ProgressEvent) => void;
  /** Warnings (dlm_source problems) — default stderr. */
  warn?: (line: string) => void;
  skipPreflight?: boolean;
}

async function resolveDlm(spec: LoadedSpec, warn: (l: string) => void): Promise<{ sections: Section[] | null; docText: string | null }> {
  if (!spec.dlm_source) return { sections: null, docText: null };
  try {
    const r = loadDlmSource(spec.dlm_source);
    return { sections: r.sections, docText: r.docText };
  } catch (err) {
    if (err instanceof SwayError) {
      warn(`warning: dlm_source='${spec.dlm_source}' did not resolve: ${err.message}`);
      return { sections: null, docText: null };
    }
    throw err;
  }
}

/** Validates every probe entry; throws one SpecValidationError (naming the spec file) listing all bad entries. */
export async function validateSpecProbes(spec: LoadedSpec): Promise<void> {
  const registry = await probeRegistry();
  try {
    registry.validateAllProbes(spec.suite);
  } catch (err) {
    if (err instanceof SpecValidationError && !err.source) {
      throw new SpecValidationError(`${err.message}\nfix these suite: entries (see sway list-probes and docs/probes.md)`, spec.source);
    }
    throw err;
  }
}

export async function executeSpec(spec: LoadedSpec, options: ExecuteSpecOptions): Promise<{ suite: SuiteResult; score: SwayScore }> {
  await validateSpecProbes(spec);
  const registry = await probeRegistry();
  const weights = options.weights ? mergeScoreWeights(options.weights, '--weights') : spec.defaults.score_weights;
  const warn = options.warn ?? ((l: string) => void process.stderr.write(`${l}\n`));
  const { sections, docText } = await resolveDlm(spec, warn);

  const needsBackend = spec.suite.some((raw) => {
    const { probe, spec: ps } = registry.buildProbe(raw);
    return ps.enabled !== false && probe.needsBackend;
  });
  let backend: DifferentialBackend | null = options.backend ?? null;
  let owned = false;
  if (!backend && needsBackend) {
    const factory = options.backendFactory ?? buildBackend;
    const ctx = { spec, specPath: options.specPath };
    backend = spec.defaults.differential ? await factory(spec.models.ft, ctx) : await buildTwoModel(spec.models, ctx, factory);
    owned = true;
  }
  try {
    const suite = await runSuite(spec, backend, registry, {
      specPath: options.specPath,
      sections,
      docText,
      ...(options.skipPreflight !== undefined ? { skipPreflight: options.skipPreflight } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const score = computeScore(suite, (k) => registry.categoryOf(k), weights);
    return { suite, score };
  } finally {
    if (owned) await backend?.close?.();
  }
}
