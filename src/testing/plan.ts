/**
 * Turns one sway.yaml into test cases for a JS test runner: one case per suite entry and
 * a `__gate__` case for the composite. The spec's entry names are read synchronously at
 * collection time (test runners collect synchronously); the suite itself runs lazily in
 * the first case and is shared by every case of the same (spec, weights) — one model load
 * per spec, however many tests it becomes.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { SpecValidationError } from '../core/errors.js';
import type { ProbeResult, SuiteResult, SwayScore } from '../core/results.js';

export interface SwayRun {
  suite: SuiteResult;
  score: SwayScore;
}

/** Executes a spec file; `weights` overrides `defaults.score_weights`. */
export type SwayExecutor = (specPath: string, options: { weights?: Record<string, number> }) => Promise<SwayRun>;

export interface SwayTestsOptions {
  /** Minimum composite for the gate case; default: the spec's defaults.coverage_threshold, else 0.6. */
  threshold?: number;
  /** Set false to leave out the `__gate__` case. */
  gate?: boolean;
  /** Composite weights override, as `sway run --weights`. */
  weights?: Record<string, number>;
  /** Base for a relative spec path (default: process.cwd()). Pass `import.meta.url` to resolve next to the test file. */
  relativeTo?: string | URL;
  /** Per-test timeout in ms (the first case loads the model and runs the whole suite); default 300 000. */
  timeoutMs?: number;
  /** Replaces the suite runner (e.g. to inject a backend); default runs the spec like `sway run`. */
  execute?: SwayExecutor;
}

export const DEFAULT_TIMEOUT_MS = 300_000;

/** A failed sway case: the message is the whole story, so the stack is dropped. */
export class SwayTestFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SwayTestFailure';
    this.stack = `${this.name}: ${message}`;
  }
}

export type SwayOutcome =
  | { status: 'pass'; warning?: string }
  | { status: 'skip'; message: string }
  | { status: 'fail'; message: string };

export interface SwayTestCase {
  name: string;
  run(): Promise<SwayOutcome>;
}

export interface SwayTestPlan {
  /** Suite title: the spec path as given. */
  title: string;
  specPath: string;
  cases: SwayTestCase[];
}

interface EntryInfo {
  name: string;
  kind: string;
  enabled: boolean;
}

const runs = new Map<string, Promise<SwayRun>>();

function resolveSpecPath(spec: string | URL, relativeTo: string | URL | undefined): string {
  if (spec instanceof URL || spec.startsWith('file:')) return fileURLToPath(spec);
  if (isAbsolute(spec)) return spec;
  if (relativeTo === undefined) return resolve(spec);
  const base = relativeTo instanceof URL || relativeTo.startsWith('file:') ? fileURLToPath(new URL('.', relativeTo)) : relativeTo;
  return resolve(base, spec);
}

function readEntries(specPath: string): { entries: EntryInfo[]; threshold: number | null } {
  const doc = parse(readFileSync(specPath, 'utf8')) as unknown;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new SpecValidationError('top-level document must be a mapping with models: and suite:');
  const suite = (doc as { suite?: unknown }).suite;
  if (!Array.isArray(suite)) throw new SpecValidationError('`suite:` must be a list of probes');
  const entries = suite.map((raw: unknown) => {
    const e = (raw ?? {}) as Record<string, unknown>;
    const kind = typeof e['kind'] === 'string' ? e['kind'] : '?';
    return { name: typeof e['name'] === 'string' ? e['name'] : kind, kind, enabled: e['enabled'] !== false };
  });
  const defaults = (doc as { defaults?: Record<string, unknown> }).defaults;
  const t = defaults?.['coverage_threshold'];
  return { entries, threshold: typeof t === 'number' ? t : null };
}

function sharedRun(specPath: string, options: SwayTestsOptions, execute: SwayExecutor): Promise<SwayRun> {
  const weights = options.weights;
  const key = JSON.stringify([specPath, weights ? Object.entries(weights).sort() : null]);
  let run = runs.get(key);
  if (!run) {
    run = execute(specPath, weights ? { weights } : {});
    runs.set(key, run);
    // A failure is not cached: the next case retries and reports its own error.
    run.catch(() => runs.delete(key));
  }
  return run;
}

export function probeOutcome(result: ProbeResult | undefined, entry: EntryInfo, available: string[]): SwayOutcome {
  if (!result) {
    if (!entry.enabled) return { status: 'skip', message: `probe '${entry.name}' is disabled (enabled: false)` };
    return { status: 'fail', message: `probe '${entry.name}' not in suite result — available: [${available.join(', ')}]` };
  }
  switch (result.verdict) {
    case 'pass':
      return { status: 'pass' };
    case 'warn':
      return { status: 'pass', warning: `sway WARN [${result.kind}]: ${result.message}` };
    case 'skip':
      return { status: 'skip', message: result.message || `probe '${result.name}' skipped` };
    case 'fail':
      return { status: 'fail', message: `FAIL [${result.kind}]: ${result.message}` };
    default:
      return { status: 'fail', message: `ERROR [${result.kind}]: ${result.message}` };
  }
}

export function gateOutcome(score: SwayScore, threshold: number): SwayOutcome {
  if (score.overall < threshold) {
    return {
      status: 'fail',
      message: `composite score ${score.overall.toFixed(2)} below threshold ${threshold.toFixed(2)} (band: ${score.band || '—'})`,
    };
  }
  return { status: 'pass' };
}

export function planSwayTests(spec: string | URL, options: SwayTestsOptions, defaultExecute: SwayExecutor): SwayTestPlan {
  const title = spec instanceof URL ? spec.pathname : spec;
  const specPath = resolveSpecPath(spec, options.relativeTo);
  const execute = options.execute ?? defaultExecute;
  let info: ReturnType<typeof readEntries>;
  try {
    info = readEntries(specPath);
  } catch (err) {
    const message = `failed to load spec ${specPath}: ${err instanceof Error ? err.message : String(err)}`;
    return { title, specPath, cases: [{ name: 'load spec', run: async () => ({ status: 'fail', message }) }] };
  }
  const cases: SwayTestCase[] = info.entries.map((entry) => ({
    name: entry.name,
    run: async () => {
      const { suite } = await sharedRun(specPath, options, execute);
      const result = suite.probes.find((p) => p.name === entry.name);
      return probeOutcome(result, entry, suite.probes.map((p) => p.name));
    },
  }));
  if (options.gate !== false) {
    const threshold = options.threshold ?? info.threshold ?? 0.6;
    cases.push({
      name: '__gate__',
      run: async () => gateOutcome((await sharedRun(specPath, options, execute)).score, threshold),
    });
  }
  return { title, specPath, cases };
}
