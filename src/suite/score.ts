/**
 * The composite score: per-category weighted means of probe scores, bands and findings.
 * A category with no scored probe has no component (reports show it as "—"), and the
 * composite leaves it out.
 */
import { DEFAULT_WEIGHTS } from '../core/schema.js';
import type { Category, SuiteResult, SwayScore } from '../core/results.js';
import { categoryOf } from '../probes/registry.js';
import { UsageError } from '../core/errors.js';

export function bandFor(overall: number): string {
  if (overall < 0.3) return 'noise';
  if (overall < 0.6) return 'partial';
  if (overall <= 0.85) return 'healthy';
  return 'suspicious';
}

export function computeScore(suite: SuiteResult, weights?: Record<string, number>): SwayScore {
  const w: Record<string, number> = { ...(weights ?? DEFAULT_WEIGHTS) };
  const buckets = new Map<string, { score: number; weight: number }[]>(Object.keys(w).map((c) => [c, []]));
  for (const r of suite.probes) {
    if (r.verdict === 'skip' || r.verdict === 'error' || r.score === null) continue;
    const cat = categoryOf(r.kind) ?? 'adherence';
    const ev = r.evidence['weight'];
    const pw = Math.max(typeof ev === 'number' ? ev : typeof ev === 'boolean' ? Number(ev) : 1, 0);
    if (!buckets.has(cat)) buckets.set(cat, []);
    buckets.get(cat)!.push({ score: r.score, weight: pw });
  }
  const components: Record<string, number> = {};
  for (const [cat, rs] of buckets) {
    if (!rs.length) continue;
    const tot = rs.reduce((a, r) => a + r.weight, 0) || 1;
    components[cat] = rs.reduce((a, r) => a + r.weight * r.score, 0) / tot;
  }
  let num = 0;
  let den = 0;
  for (const [cat, rs] of buckets) {
    if (!rs.length) continue;
    num += (w[cat] ?? 0) * (components[cat] as number);
    den += w[cat] ?? 0;
  }
  const overall = num / (den || 1);
  const findings: string[] = [];
  const firstFail = suite.probes.find((r) => r.verdict === 'fail');
  if (firstFail) findings.push(`${firstFail.name} (${firstFail.kind}) failed${firstFail.message ? `: ${firstFail.message}` : ''}`);
  for (const [cat, v] of Object.entries(components)) if (v < 0.3 && (w[cat] ?? 0) > 0) findings.push(`${cat} score is ${v.toFixed(2)} — below the noise threshold`);
  const errors = suite.probes.filter((r) => r.verdict === 'error').length;
  if (errors) findings.push(`${errors} probe(s) errored — see full report for details`);
  return { overall, components: components as Partial<Record<Category, number>>, weights: w as Record<Category, number>, band: bandFor(overall), findings: findings.slice(0, 5) };
}

/** Parses `--weights "attribution=0.5,adherence=0.2"` (partial; validated by the spec rules later). */
export function parseWeightsFlag(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z_]+)\s*=\s*([^=]+)$/.exec(part);
    const v = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(v)) throw new UsageError(`--weights: expected category=number pairs separated by commas (e.g. attribution=0.5,adherence=0.2), got '${part}'`);
    out[m[1] as string] = v;
  }
  if (!Object.keys(out).length) throw new UsageError('--weights is empty');
  return out;
}
