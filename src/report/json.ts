/** The report.json shape of the reference (schema_version 1), and its tolerant reader. */
import { CATEGORIES, VERDICTS, type Category, type ProbeResult, type SuiteResult, type SwayScore, type Verdict } from '../core/results.js';
import { SwayError } from '../core/errors.js';
import { parsePyJson, pyJsonDumps } from './pyjson.js';

export const REPORT_SCHEMA_VERSION = 1;

const DEFAULT_WEIGHTS: Record<Category, number> = { adherence: 0.3, attribution: 0.35, calibration: 0.2, ablation: 0.15, baseline: 0.0 };

/** Python `datetime.isoformat()` of an aware UTC time. */
export function pyIsoformat(d: Date): string {
  const iso = d.toISOString();
  const ms = d.getUTCMilliseconds();
  const base = iso.slice(0, 19);
  return ms === 0 ? `${base}+00:00` : `${base}.${String(ms * 1000).padStart(6, '0')}+00:00`;
}

export function reportObject(suite: SuiteResult, score: SwayScore): Record<string, unknown> {
  return {
    adapter_id: suite.adapter_id,
    backend_stats: suite.backend_stats,
    base_model_id: suite.base_model_id,
    determinism: suite.determinism ? { class: suite.determinism.class, notes: suite.determinism.notes, seed: suite.determinism.seed } : null,
    finished_at: pyIsoformat(suite.finished_at),
    null_stats: suite.null_stats,
    probes: suite.probes.map((p) => ({
      base_value: p.base_value,
      ci_95: p.ci_95,
      duration_s: p.duration_s,
      evidence: p.evidence,
      ft_value: p.ft_value,
      kind: p.kind,
      message: p.message,
      name: p.name,
      raw: p.raw,
      score: p.score,
      verdict: p.verdict,
      z_score: p.z_score,
    })),
    schema_version: REPORT_SCHEMA_VERSION,
    score: { band: score.band, components: score.components, findings: score.findings, overall: score.overall, weights: score.weights },
    spec_path: suite.spec_path,
    started_at: pyIsoformat(suite.started_at),
    sway_version: suite.sway_version,
    wall_seconds: (suite.finished_at.getTime() - suite.started_at.getTime()) / 1000,
    // Ours, not the reference's: present only when there is something to say, so a clean
    // run's report keeps the reference's exact layout.
    ...(suite.warnings?.length ? { warnings: suite.warnings } : {}),
  };
}

export function toJson(suite: SuiteResult, score: SwayScore): string {
  return pyJsonDumps(reportObject(suite, score));
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

function date(v: unknown): Date {
  if (typeof v !== 'string' || !v) return new Date(0);
  const d = new Date(v.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(d.getTime()) ? new Date(0) : d;
}

/** Inverse of toJson, tolerant of missing fields. Throws on an unknown verdict. */
export function fromJson(text: string): { suite: SuiteResult; score: SwayScore } {
  const raw = obj(parsePyJson(text));
  const probes: ProbeResult[] = (Array.isArray(raw['probes']) ? raw['probes'] : []).map((p: unknown, i: number) => {
    const o = obj(p);
    if (typeof o['name'] !== 'string' || typeof o['kind'] !== 'string') throw new SwayError(`probes[${i}] needs string 'name' and 'kind'`);
    const verdict = o['verdict'];
    if (!(VERDICTS as readonly unknown[]).includes(verdict)) throw new SwayError(`probes[${i}] has unknown verdict ${JSON.stringify(verdict)}`);
    const ci = o['ci_95'];
    return {
      name: o['name'],
      kind: o['kind'],
      verdict: verdict as Verdict,
      score: num(o['score']),
      raw: num(o['raw']),
      z_score: num(o['z_score']),
      base_value: num(o['base_value']),
      ft_value: num(o['ft_value']),
      evidence: obj(o['evidence']),
      message: typeof o['message'] === 'string' ? o['message'] : '',
      duration_s: num(o['duration_s']) ?? 0,
      ci_95: Array.isArray(ci) && ci.length === 2 && ci.every((x) => typeof x === 'number') ? [ci[0] as number, ci[1] as number] : null,
    };
  });
  const det = raw['determinism'];
  const d = obj(det);
  const suite: SuiteResult = {
    spec_path: typeof raw['spec_path'] === 'string' ? raw['spec_path'] : '',
    started_at: date(raw['started_at']),
    finished_at: date(raw['finished_at']),
    base_model_id: typeof raw['base_model_id'] === 'string' ? raw['base_model_id'] : '',
    adapter_id: typeof raw['adapter_id'] === 'string' ? raw['adapter_id'] : '',
    sway_version: typeof raw['sway_version'] === 'string' ? raw['sway_version'] : '?',
    probes,
    null_stats: obj(raw['null_stats']) as SuiteResult['null_stats'],
    determinism: det && typeof det === 'object' ? { class: (d['class'] as 'best_effort') ?? 'best_effort', seed: num(d['seed']) ?? 0, notes: Array.isArray(d['notes']) ? (d['notes'] as string[]) : [] } : null,
    backend_stats: obj(raw['backend_stats']) as Record<string, number>,
    warnings: Array.isArray(raw['warnings']) ? raw['warnings'].filter((w): w is string => typeof w === 'string') : [],
  };
  const s = obj(raw['score']);
  const weights = obj(s['weights']);
  const score: SwayScore = {
    overall: num(s['overall']) ?? 0,
    components: obj(s['components']) as SwayScore['components'],
    weights: Object.keys(weights).length ? (weights as Record<Category, number>) : { ...DEFAULT_WEIGHTS },
    band: typeof s['band'] === 'string' ? s['band'] : '',
    findings: Array.isArray(s['findings']) ? (s['findings'] as string[]) : [],
  };
  return { suite, score };
}

export { CATEGORIES };
