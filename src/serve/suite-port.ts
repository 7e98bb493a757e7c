/**
 * The seam between the daemon / watch / test helpers and the suite layer: the few suite
 * functions they call, typed for their needs. Static imports: every build has the suite.
 */
import { dirname, resolve } from 'node:path';
import type { DifferentialBackend } from '../backends/contract.js';
import type { SuiteResult, SwayScore } from '../core/results.js';
import type { ModelSpec } from '../core/schema.js';
import { toJson } from '../report/json.js';
import { buildBackend, executeSpec, loadSpecFile, loadSpecText, type LoadedSpec } from '../suite/execute.js';

/** The model fields the daemon keys its cache on (same names in YAML and TS). */
export interface ModelSpecLike {
  kind?: string;
  base: string;
  adapter?: string | null;
  dtype?: string;
  device?: string;
}

/** A validated spec plus the parts of it the front ends read directly. */
export interface LoadedSpecLike extends LoadedSpec {
  models: { base: ModelSpecLike; ft: ModelSpecLike };
  defaults?: { differential?: boolean };
}

export interface ExecuteOptions {
  specPath: string;
  backend?: DifferentialBackend;
  weights?: Record<string, number>;
  onWarning?: (message: string) => void;
}

export interface SuitePort {
  loadSpecText(text: string, sourceName: string): Promise<LoadedSpecLike>;
  loadSpecFile(path: string): Promise<LoadedSpecLike>;
  executeSpec(spec: LoadedSpecLike, options: ExecuteOptions): Promise<{ suite: SuiteResult; score: SwayScore }>;
  /** Builds the differential backend for one model (what `sway run` would load). */
  buildBackend(model: ModelSpecLike, spec: LoadedSpecLike, specPath: string): Promise<DifferentialBackend>;
  /** The exact text `sway run --json` writes. */
  reportJson(suite: SuiteResult, score: SwayScore): string;
}

function like(loaded: LoadedSpec): LoadedSpecLike {
  return { ...loaded, models: loaded.spec.models, defaults: loaded.spec.defaults };
}

const PORT: SuitePort = {
  async loadSpecText(text, sourceName) {
    const dir = sourceName.startsWith('<') ? process.cwd() : dirname(resolve(sourceName));
    return like(loadSpecText(text, sourceName, dir));
  },
  async loadSpecFile(path) {
    return like(loadSpecFile(path));
  },
  executeSpec(spec, options) {
    return executeSpec(spec, options);
  },
  buildBackend(model, spec) {
    return buildBackend(model as ModelSpec, spec);
  },
  reportJson: toJson,
};

/** The suite port of this build. */
export async function suitePort(): Promise<SuitePort> {
  return PORT;
}
