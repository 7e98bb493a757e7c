/**
 * What the daemon needs from the rest of sway, as an interface so the HTTP layer can be
 * tested with any backend: validate a spec and say which model it needs, load a backend
 * for a model, and execute a validated spec into the `sway run --json` report object.
 * default-runtime.ts wires the real suite runner and backend factory into it.
 */
import type { DifferentialBackend } from '../backends/contract.js';
import type { BackendLoader, ModelKey } from './backend-cache.js';

export interface PreparedRun {
  /** The model to take from the cache; null when the run must build (and close) its own backends. */
  model: ModelKey | null;
  /**
   * Runs the suite; `backend` is the cached one when `model` was set. Returns the report
   * as the exact text `sway run --json` writes (kept as text so its number formatting
   * survives the trip).
   */
  execute(backend: DifferentialBackend | undefined): Promise<string>;
}

export interface ServeRuntime {
  /** Parses and validates a spec (YAML or JSON text); throws a SwayError naming the key on bad input. */
  prepare(specText: string, specPath: string): Promise<PreparedRun>;
  loadBackend: BackendLoader;
}
