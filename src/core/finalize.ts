/**
 * The guard every numeric probe builds its result through: a NaN/inf headline metric
 * turns into one ERROR naming the field, other non-finite numbers are nulled and listed,
 * so no NaN ever reaches a report or the composite score.
 */
import type { Evidence, ProbeResult, Verdict } from './results.js';

export const NUMERIC_FIELDS = ['score', 'raw', 'z_score', 'base_value', 'ft_value'] as const;
export type NumericField = (typeof NUMERIC_FIELDS)[number];

export interface FinalizeInput {
  name: string;
  kind: string;
  verdict: Verdict;
  score?: number | null;
  raw?: number | null;
  z_score?: number | null;
  base_value?: number | null;
  ft_value?: number | null;
  evidence?: Evidence | null;
  message?: string;
  duration_s?: number;
  /** Fields whose non-finiteness makes the result meaningless (default ['raw']). */
  criticalFields?: readonly NumericField[];
  ci_95?: [number, number] | null;
}

function nonFinite(v: unknown): v is number {
  return typeof v === 'number' && !Number.isFinite(v);
}

export function safeFinalize(input: FinalizeInput): ProbeResult {
  const critical = input.criticalFields ?? ['raw'];
  const values: Record<NumericField, number | null> = {
    score: input.score ?? null,
    raw: input.raw ?? null,
    z_score: input.z_score ?? null,
    base_value: input.base_value ?? null,
    ft_value: input.ft_value ?? null,
  };
  const evidence: Evidence = { ...(input.evidence ?? {}) };
  const bad = NUMERIC_FIELDS.filter((f) => nonFinite(values[f]));
  const base = { name: input.name, kind: input.kind, duration_s: input.duration_s ?? 0 };
  if (bad.some((f) => critical.includes(f))) {
    evidence['non_finite_inputs'] = Object.fromEntries(bad.map((f) => [f, values[f]]));
    const names = bad.filter((f) => critical.includes(f)).sort();
    return {
      ...base,
      verdict: 'error',
      score: null,
      raw: null,
      z_score: null,
      base_value: null,
      ft_value: null,
      evidence,
      message: `non-finite critical field(s): ${names.join(', ')} — probe cannot produce a meaningful result`,
      ci_95: null,
    };
  }
  if (bad.length > 0) {
    const prior = Array.isArray(evidence['defensively_nulled']) ? (evidence['defensively_nulled'] as string[]) : [];
    evidence['defensively_nulled'] = [...prior, ...[...bad].sort()];
    for (const f of bad) values[f] = null;
  }
  return {
    ...base,
    verdict: input.verdict,
    ...values,
    evidence,
    message: input.message ?? '',
    ci_95: values.raw === null ? null : (input.ci_95 ?? null),
  };
}

/** A result that skips the numeric guard (SKIP, ERROR and fixed WARN outcomes). */
export function plainResult(
  name: string,
  kind: string,
  verdict: Verdict,
  message: string,
  evidence: Evidence = {},
  score: number | null = null,
): ProbeResult {
  return {
    name,
    kind,
    verdict,
    score,
    raw: null,
    z_score: null,
    base_value: null,
    ft_value: null,
    evidence,
    message,
    duration_s: 0,
    ci_95: null,
  };
}
