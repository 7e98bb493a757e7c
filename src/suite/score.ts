/**
 * The composite score (core-suite §5): per-category weighted means of probe scores,
 * combined with category weights over the categories that have contributing probes.
 */
import { SpecValidationError, UsageError } from '../core/errors.js';
import { CATEGORIES, type Category, type SuiteResult, type SwayScore } from '../core/results.js';
import { bandFor, DEFAULT_COMPONENT_WEIGHTS } from '../report/categories.js';
import { toFixedPy } from '../report/format.js';

export { bandFor, DEFAULT_COMPONENT_WEIGHTS };

export type CategoryLookup = (kind: string) => string;

function pyList(items: string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}

/**
 * Validates a (partial) weights map and lays it over the defaults (the `defaults.score_weights`
 * rules, also applied to --weights). `source` prefixes the error (file or flag).
 */
export function mergeScoreWeights(given: Record<string, number>, source?: string): Record<Category, number> {
  const unknown = Object.keys(given).filter((k) => !(CATEGORIES as readonly string[]).includes(k));
  if (unknown.length) {
    throw new SpecValidationError(
      `score_weights contains unknown category keys: ${pyList(unknown.sort())}. Known categories: ${pyList([...CATEGORIES].sort())}`,
      source,
    );
  }
  for (const [k, v] of Object.entries(given)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new SpecValidationError(`score_weights values must be non-negative (got ${String(v)} for '${k}')`, source);
    }
  }
  const merged = { ...DEFAULT_COMPONENT_WEIGHTS, ...given } as Record<Category, number>;
  const sum = Object.values(merged).reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new SpecValidationError('score_weights must have at least one positive weight', source);
  return merged;
}

/** Parses `--weights "attribution=0.5,adherence=0.2"`; null when nothing was given. Validated and merged. */
export function parseWeightsFlag(text: string | undefined): Record<Category, number> | null {
  if (text === undefined) return null;
  const out: Record<string, number> = {};
  for (const piece of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = piece.indexOf('=');
    if (eq < 0) {
      throw new UsageError(
        `--weights: expected 'key=value' pairs, got '${piece}'. Example: --weights adherence=0.4,attribution=0.3`,
      );
    }
    const k = piece.slice(0, eq).trim();
    const v = piece.slice(eq + 1).trim();
    const n = v === '' ? NaN : Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`--weights: '${v}' for '${k}' is not a number`);
    out[k] = n;
  }
  if (Object.keys(out).length === 0) return null;
  try {
    return mergeScoreWeights(out);
  } catch (err) {
    throw new UsageError(`--weights: ${(err as Error).message}`);
  }
}

function probeWeight(evidence: Record<string, unknown>): number {
  const w = evidence['weight'];
  const n = typeof w === 'number' ? w : typeof w === 'boolean' ? (w ? 1 : 0) : 1;
  return Number.isFinite(n) ? Math.max(n, 0) : 1;
}

/** Findings in order: first FAIL, low non-zero components, error count; at most 5. */
function findings(suite: SuiteResult, components: Record<string, number>): string[] {
  const out: string[] = [];
  const firstFail = suite.probes.find((p) => p.verdict === 'fail');
  if (firstFail) out.push(`${firstFail.name} (${firstFail.kind}) failed${firstFail.message ? `: ${firstFail.message}` : ''}`);
  for (const [cat, v] of Object.entries(components)) {
    if (v < 0.3 && v !== 0) out.push(`${cat} score is ${toFixedPy(v, 2)} \u2014 below the noise threshold`);
  }
  const errors = suite.probes.filter((p) => p.verdict === 'error').length;
  if (errors) out.push(`${errors} probe(s) errored \u2014 see full report for details`);
  return out.slice(0, 5);
}

export function computeScore(
  suite: SuiteResult,
  categoryOf: CategoryLookup,
  weights?: Record<string, number> | null,
): SwayScore {
  const w: Record<string, number> = { ...(weights ?? DEFAULT_COMPONENT_WEIGHTS) };
  const buckets = new Map<string, { score: number; weight: number }[]>(Object.keys(w).map((c) => [c, []]));
  for (const r of suite.probes) {
    if (r.verdict === 'skip' || r.verdict === 'error' || r.score === null || !Number.isFinite(r.score)) continue;
    const cat = categoryOf(r.kind);
    if (!buckets.has(cat)) buckets.set(cat, []);
    // A FAIL counts in its category with 0: a failed assertion is no evidence of a working
    // adapter. (The reference let a FAIL contribute its own, possibly high, score.)
    buckets.get(cat)?.push({ score: r.verdict === 'fail' ? 0 : r.score, weight: probeWeight(r.evidence) });
  }
  const components: Record<string, number> = {};
  let num = 0;
  let den = 0;
  for (const [cat, rs] of buckets) {
    if (rs.length === 0) {
      components[cat] = 0;
      continue;
    }
    const tot = rs.reduce((a, r) => a + r.weight, 0) || 1;
    components[cat] = rs.reduce((a, r) => a + r.weight * r.score, 0) / tot;
    const cw = w[cat] ?? 0;
    num += cw * components[cat];
    den += cw;
  }
  const overall = num / (den || 1);
  return {
    overall,
    components,
    weights: w as Record<Category, number>,
    band: bandFor(overall),
    findings: findings(suite, components),
  };
}
