/**
 * The seam between the daemon/watch/test helpers and the suite layer: load a spec, build
 * a backend for one model, execute, and write the `sway run --json` text. Kept as one
 * small interface so the front ends depend on four functions, not on suite internals.
 */
import { dirname, resolve } from 'node:path';
import type { DifferentialBackend } from '../backends/contract.js';
import type { SuiteResult, SwayScore } from '../core/results.js';
import { toJson } from '../report/json.js';
import { buildBackend, executeSpec, loadSpecFile, loadSpecText, type LoadedSpec } from '../suite/execute.js';
import type { ModelSpecValue } from '../suite/spec-types.js';

export type LoadedSpecLike = LoadedSpec;
export type ModelSpecLike = ModelSpecValue;

export interface ExecuteOptions {
  specPath: string;
  backend?: DifferentialBackend;
  weights?: Record<string, number>;
}

export interface SuitePort {
  /** `specPath` is a file path (relative paths in the spec resolve next to it) or a `<name>`. */
  loadSpecText(text: string, specPath: string): Promise<LoadedSpec>;
  loadSpecFile(path: string): Promise<LoadedSpec>;
  executeSpec(spec: LoadedSpec, options: ExecuteOptions): Promise<{ suite: SuiteResult; score: SwayScore }>;
  /** Builds the differential backend for one model (what `sway run` would load). */
  buildBackend(model: ModelSpecValue, spec: LoadedSpec, specPath: string): Promise<DifferentialBackend>;
  /** The exact text `sway run --json` writes. */
  reportJson(suite: SuiteResult, score: SwayScore): string;
}

const port: SuitePort = {
  loadSpecText: (text, specPath) =>
    specPath.startsWith('<') ? loadSpecText(text, specPath) : loadSpecText(text, specPath, dirname(resolve(specPath))),
  loadSpecFile,
  executeSpec: (spec, options) => executeSpec(spec, { ...options, warn: (line) => void process.stderr.write(`${line}\n`) }),
  buildBackend: (model, spec, specPath) => buildBackend(model, { spec, specPath }),
  reportJson: toJson,
};

/** The suite port of this build. */
export function suitePort(): Promise<SuitePort> {
  return Promise.resolve(port);
}
