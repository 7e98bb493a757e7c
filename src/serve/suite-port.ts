/**
 * The seam between the daemon/watch/test helpers and the suite layer. It resolves the
 * suite's library entry (src/suite/execute.ts: loadSpecText, loadSpecFile, executeSpec),
 * the backend factory and the JSON report writer at run time, so these front ends build
 * and test on their own and fail with one clear SwayError — not a crash — in a build
 * that lacks them. Everything else in serve/ and testing/ goes through this port.
 */
import type { DifferentialBackend } from '../backends/contract.js';
import { SwayError } from '../core/errors.js';
import type { SuiteResult, SwayScore } from '../core/results.js';

/** The model fields the daemon keys its cache on (same names in YAML and TS). */
export interface ModelSpecLike {
  kind?: string;
  base: string;
  adapter?: string | null;
  dtype?: string;
  device?: string;
}

/** The parts of a validated spec the front ends read. */
export interface LoadedSpecLike {
  models: { base: ModelSpecLike; ft: ModelSpecLike };
  defaults?: { differential?: boolean };
}

export interface ExecuteOptions {
  specPath: string;
  backend?: DifferentialBackend;
  weights?: Record<string, number>;
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

type AnyFn = (...args: unknown[]) => unknown;

// Relative specifiers in variables: resolved at run time, next to this module.
const EXECUTE_MODULE = '../suite/execute.js';
const FACTORY_MODULES = ['../suite/execute.js', '../suite/backend-factory.js', '../suite/backends.js'];
const FACTORY_EXPORTS = ['buildBackend', 'createBackend', 'defaultBackendFactory', 'backendFactory'];
const JSON_MODULES = ['../report/json.js', '../report/index.js'];
const JSON_EXPORTS = ['toJson', 'renderJson', 'reportToJson'];

/** The module, or null when that module itself does not exist (a broken import inside it still throws). */
async function tryImport(specifier: string): Promise<Record<string, unknown> | null> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    const text = String(err);
    const notFound = (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module|Failed to load url/i.test(text);
    if (notFound && text.includes(specifier.replace(/^(\.\.\/)+/, ''))) return null;
    throw err;
  }
}

async function findExport(modules: string[], names: string[]): Promise<AnyFn | null> {
  for (const m of modules) {
    const mod = await tryImport(m);
    if (!mod) continue;
    for (const n of names) if (typeof mod[n] === 'function') return mod[n] as AnyFn;
  }
  return null;
}

function missing(what: string, where: string): SwayError {
  return new SwayError(
    `this sway build has no ${what} (looked for ${where}); serve, watch and the test helpers need the suite runner — rebuild with \`npm run build\``,
    'SWAY_RUNTIME',
    3,
  );
}

let cached: Promise<SuitePort> | null = null;

async function resolvePort(): Promise<SuitePort> {
  const exec = await tryImport(EXECUTE_MODULE);
  if (!exec || typeof exec['executeSpec'] !== 'function') throw missing('suite runner', 'executeSpec in src/suite/execute.ts');
  const executeSpec = exec['executeSpec'] as SuitePort['executeSpec'];
  const loadSpecText = exec['loadSpecText'] as SuitePort['loadSpecText'] | undefined;
  const loadSpecFile = exec['loadSpecFile'] as SuitePort['loadSpecFile'] | undefined;
  if (typeof loadSpecText !== 'function' || typeof loadSpecFile !== 'function') {
    throw missing('spec loader', 'loadSpecText/loadSpecFile in src/suite/execute.ts');
  }
  const factory = await findExport(FACTORY_MODULES, FACTORY_EXPORTS);
  const toJson = await findExport(JSON_MODULES, JSON_EXPORTS);
  return {
    loadSpecText,
    loadSpecFile,
    executeSpec,
    async buildBackend(model, spec, specPath) {
      if (!factory) throw missing('backend factory', `${FACTORY_EXPORTS.join('/')} in src/suite/`);
      return (await factory(model, { spec, specPath })) as DifferentialBackend;
    },
    reportJson(suite, score) {
      if (!toJson) throw missing('JSON report writer', `${JSON_EXPORTS.join('/')} in src/report/json.ts`);
      return String(toJson(suite, score));
    },
  };
}

/** The suite port of this build (resolved once). */
export function suitePort(): Promise<SuitePort> {
  if (!cached) {
    cached = resolvePort();
    cached.catch(() => {
      cached = null;
    });
  }
  return cached;
}
