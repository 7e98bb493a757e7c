/**
 * The JSON report (`sway run --json`): the reference's report.json shape byte for byte
 * (schema_version 1, sorted keys, Python float repr) and its tolerant inverse `fromJson`.
 */
import { SwayError } from '../core/errors.js';
import {
  VERDICTS,
  type DeterminismReport,
  type NullStat,
  type ProbeResult,
  type SuiteResult,
  type SwayScore,
  type Verdict,
} from '../core/results.js';
import { DEFAULT_COMPONENT_WEIGHTS } from './categories.js';
import { dumpsPy, FLOAT_KEYS, markFloatKeys, parsePyJson, pyFloat, PyFloat as PyFloatClass } from './pyjson.js';

export const SCHEMA_VERSION = 1;

/** Python `datetime.isoformat()` of an aware UTC time. */
export function isoformatPy(d: Date): string {
  const iso = d.toISOString(); // 2026-01-01T12:00:02.500Z
  const [main = '', fracZ = '000Z'] = iso.split('.');
  const ms = Number(fracZ.replace('Z', ''));
  const extraMicros = (d as Date & { micros?: number }).micros ?? 0;
  const micros = ms * 1000 + extraMicros;
  return micros === 0 ? `${main}+00:00` : `${main}.${String(micros).padStart(6, '0')}+00:00`;
}

const f = (v: number | null | undefined): unknown => (v === null || v === undefined ? null : pyFloat(v));

/**
 * Evidence keys whose numbers are Python floats in the reference even when integral
 * (`weight: 1.0`, null stats `n: 3.0`, λ grids). Everything else integral prints as an int.
 */
const FLOAT_EVIDENCE_KEYS = new Set([
  'weight', 'mean', 'std', 'n', 'degenerate', 'init_scale', 'lambdas', 'rank_multipliers',
  'mean_divergence_per_lambda', 'saturation_lambda', 'overshoot', 'linearity',
]);

function tagFloats(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(tagFloats);
  if (!value || typeof value !== 'object' || value instanceof PyFloatClass) return value;
  const src = value as Record<string | symbol, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) out[k] = tagFloats(v);
  const tagged = src[FLOAT_KEYS] as Set<string> | undefined;
  markFloatKeys(out, [...(tagged ?? []), ...Object.keys(out).filter((k) => FLOAT_EVIDENCE_KEYS.has(k))]);
  return out;
}

function probeObject(p: ProbeResult): Record<string, unknown> {
  const evidence = tagFloats(p.evidence) as Record<string, unknown>;
  return {
    base_value: f(p.base_value),
    ci_95: p.ci_95 ? [pyFloat(p.ci_95[0]), pyFloat(p.ci_95[1])] : null,
    duration_s: pyFloat(p.duration_s),
    evidence,
    ft_value: f(p.ft_value),
    kind: p.kind,
    message: p.message,
    name: p.name,
    raw: f(p.raw),
    score: f(p.score),
    verdict: p.verdict,
    z_score: f(p.z_score),
  };
}

function floatMap(m: Record<string, number>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, pyFloat(v)]));
}

export function wallSeconds(suite: SuiteResult): number {
  return (suite.finished_at.getTime() - suite.started_at.getTime()) / 1000;
}

/** The report as a plain object (what the writer serialises). */
export function reportObject(suite: SuiteResult, score: SwayScore): Record<string, unknown> {
  const backendStats: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(suite.backend_stats)) {
    backendStats[k] = Number.isInteger(v) && !/(_s|rate|avg_.*)$/.test(k) ? v : pyFloat(v);
  }
  return {
    adapter_id: suite.adapter_id,
    backend_stats: backendStats,
    base_model_id: suite.base_model_id,
    determinism: suite.determinism
      ? { class: suite.determinism.class, notes: [...suite.determinism.notes], seed: suite.determinism.seed }
      : null,
    finished_at: isoformatPy(suite.finished_at),
    null_stats: Object.fromEntries(Object.entries(suite.null_stats).map(([k, s]) => [k, floatMap({ ...s })])),
    probes: suite.probes.map(probeObject),
    schema_version: SCHEMA_VERSION,
    score: {
      band: score.band,
      components: floatMap(score.components as Record<string, number>),
      findings: [...score.findings],
      overall: pyFloat(score.overall),
      weights: floatMap(score.weights),
    },
    spec_path: suite.spec_path,
    started_at: isoformatPy(suite.started_at),
    sway_version: suite.sway_version,
    wall_seconds: pyFloat(wallSeconds(suite)),
  };
}

/** `sway run --json` text: no trailing newline. */
export function toJson(suite: SuiteResult, score: SwayScore): string {
  return dumpsPy(reportObject(suite, score));
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const str = (v: unknown, d: string): string => (typeof v === 'string' ? v : d);
const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function parseTime(v: unknown): Date {
  if (typeof v !== 'string' || v === '') return new Date(0);
  const m = /^(.*?)(?:\.(\d{1,6}))?(Z|[+-]\d\d:\d\d)?$/.exec(v);
  const d = new Date(m ? `${m[1]}${m[2] ? `.${m[2].padEnd(6, '0').slice(0, 3)}` : ''}${m[3] ?? ''}` : v);
  if (Number.isNaN(d.getTime())) throw new SwayError(`report has an unparseable timestamp '${v}'`, 'SWAY_INPUT', 2);
  const micros = m?.[2] ? Number(m[2].padEnd(6, '0').slice(3)) : 0;
  if (micros) (d as Date & { micros?: number }).micros = micros;
  return d;
}

function readProbe(raw: unknown, idx: number, source: string): ProbeResult {
  const p = obj(raw);
  for (const key of ['name', 'kind', 'verdict'] as const) {
    if (typeof p[key] !== 'string') {
      throw new SwayError(`${source}: probes[${idx}] has no string '${key}' — is this a sway report.json?`, 'SWAY_INPUT', 2);
    }
  }
  const verdict = p['verdict'] as string;
  if (!(VERDICTS as readonly string[]).includes(verdict)) {
    throw new SwayError(
      `${source}: probes[${idx}].verdict '${verdict}' is not one of ${VERDICTS.join(', ')}`,
      'SWAY_INPUT',
      2,
    );
  }
  const ci = p['ci_95'];
  const ci95: [number, number] | null =
    Array.isArray(ci) && ci.length === 2 && typeof ci[0] === 'number' && typeof ci[1] === 'number' ? [ci[0], ci[1]] : null;
  return {
    name: p['name'] as string,
    kind: p['kind'] as string,
    verdict: verdict as Verdict,
    score: num(p['score']),
    raw: num(p['raw']),
    z_score: num(p['z_score']),
    base_value: num(p['base_value']),
    ft_value: num(p['ft_value']),
    evidence: obj(p['evidence']),
    message: str(p['message'], ''),
    duration_s: num(p['duration_s']) ?? 0,
    ci_95: ci95,
  };
}

function numberMap(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === 'number') out[k] = x;
  return out;
}

/** Tolerant reader of a report.json (the inverse of toJson). */
export function fromJson(text: string, source = 'report'): { suite: SuiteResult; score: SwayScore } {
  let data: unknown;
  try {
    data = parsePyJson(text);
  } catch (err) {
    throw new SwayError(`${source}: not valid JSON (${(err as Error).message}) — pass a file written by sway run --json`, 'SWAY_INPUT', 2);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new SwayError(`${source}: top-level JSON value must be an object (a sway report.json)`, 'SWAY_INPUT', 2);
  }
  const d = data as Record<string, unknown>;
  const probesRaw = Array.isArray(d['probes']) ? d['probes'] : [];
  const det = d['determinism'];
  let determinism: DeterminismReport | null = null;
  if (det && typeof det === 'object' && !Array.isArray(det)) {
    const o = det as Record<string, unknown>;
    const cls = o['class'];
    determinism = {
      class: cls === 'strict' || cls === 'loose' || cls === 'best_effort' ? cls : 'best_effort',
      seed: typeof o['seed'] === 'number' ? o['seed'] : 0,
      notes: Array.isArray(o['notes']) ? o['notes'].map(String) : [],
    };
  }
  const nullStats: Record<string, NullStat> = {};
  for (const [k, v] of Object.entries(obj(d['null_stats']))) {
    const m = numberMap(v);
    nullStats[k] = { mean: m['mean'] ?? NaN, std: m['std'] ?? NaN, n: m['n'] ?? 0, ...(m['degenerate'] !== undefined ? { degenerate: m['degenerate'] } : {}) };
  }
  const s = obj(d['score']);
  const weights = numberMap(s['weights']);
  const suite: SuiteResult = {
    spec_path: str(d['spec_path'], ''),
    started_at: parseTime(d['started_at']),
    finished_at: parseTime(d['finished_at']),
    base_model_id: str(d['base_model_id'], ''),
    adapter_id: str(d['adapter_id'], ''),
    sway_version: str(d['sway_version'], '?'),
    probes: probesRaw.map((p, i) => readProbe(p, i, source)),
    null_stats: nullStats,
    determinism,
    backend_stats: numberMap(d['backend_stats']),
  };
  const score: SwayScore = {
    overall: num(s['overall']) ?? 0,
    components: numberMap(s['components']),
    weights: (Object.keys(weights).length ? weights : { ...DEFAULT_COMPONENT_WEIGHTS }) as SwayScore['weights'],
    band: str(s['band'], ''),
    findings: Array.isArray(s['findings']) ? s['findings'].map(String) : [],
  };
  return { suite, score };
}
