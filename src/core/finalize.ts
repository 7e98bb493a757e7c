/**
 * safeFinalize: the guard every numeric probe builds its result through. A non-finite
 * critical field turns the result into ERROR with every scalar cleared; other non-finite
 * fields are cleared and listed in `evidence.defensively_nulled`.
 */
import type { Evidence, ProbeResult, Verdict } from './results.js';

type NumericField = 'score' | 'raw' | 'z_score' | 'base_value' | 'ft_value';
const NUMERIC: NumericField[] = ['score', 'raw', 'z_score', 'base_value', 'ft_value'];

export interface FinalizeInput {
  name: string;
  kind: string;
  verdict: Verdict;
  score?: number | null;
  raw?: number | null;
  z_score?: number | null;
  base_value?: number | null;
  ft_value?: number | null;
  evidence?: Evidence;
  message?: string;
  duration_s?: number;
  ci_95?: [number, number] | null;
  criticalFields?: readonly NumericField[];
}

const nonFinite = (v: unknown): v is number => typeof v === 'number' && !Number.isFinite(v);

export function safeFinalize(input: FinalizeInput): ProbeResult {
  const critical = input.criticalFields ?? ['raw'];
  const evidence: Evidence = { ...(input.evidence ?? {}) };
  const values: Record<NumericField, number | null> = {
    score: input.score ?? null,
    raw: input.raw ?? null,
    z_score: input.z_score ?? null,
    base_value: input.base_value ?? null,
    ft_value: input.ft_value ?? null,
  };
  const bad = NUMERIC.filter((f) => nonFinite(values[f]));
  const base = { name: input.name, kind: input.kind, duration_s: input.duration_s ?? 0 };
  if (bad.some((f) => critical.includes(f))) {
    evidence['non_finite_inputs'] = Object.fromEntries(bad.map((f) => [f, values[f]]));
    return {
      ...base,
      verdict: 'error',
      score: null,
      raw: null,
      z_score: null,
      base_value: null,
      ft_value: null,
      ci_95: null,
      evidence,
      message: `non-finite critical field(s): ${bad.filter((f) => critical.includes(f)).sort().join(', ')} — probe cannot produce a meaningful result`,
    };
  }
  if (bad.length) {
    const prior = Array.isArray(evidence['defensively_nulled']) ? (evidence['defensively_nulled'] as string[]) : [];
    evidence['defensively_nulled'] = [...prior, ...[...bad].sort()];
    for (const f of bad) values[f] = null;
  }
  return {
    ...base,
    verdict: input.verdict,
    ...values,
    ci_95: values.raw === null ? null : (input.ci_95 ?? null),
    evidence,
    message: input.message ?? '',
  };
}

/** A plain result without numeric guards (SKIP, ERROR, pre-checks). */
export function plainResult(name: string, kind: string, verdict: Verdict, message: string, evidence: Evidence = {}): ProbeResult {
  return { name, kind, verdict, score: null, raw: null, z_score: null, base_value: null, ft_value: null, evidence, message, duration_s: 0, ci_95: null };
}
