/**
 * z-scores against null-adapter statistics. Higher z is always better: probes whose
 * metric is lower-is-better pass sign -1. A null flagged degenerate (one usable seed or
 * zero spread) or with std below MIN_STD gives no z, and the probe falls back to its
 * fixed threshold with the no-calibration note.
 */
import type { NullStat, Verdict } from './results.js';

export const MIN_STD = 1e-6;

export interface NullStatLike {
  mean?: number | null;
  std?: number | null;
  n?: number;
  degenerate?: number;
}

export function zScore(raw: number | null | undefined, stats: NullStatLike | null | undefined): number | null {
  if (!stats || raw === null || raw === undefined) return null;
  const mean = stats.mean;
  if (mean === null || mean === undefined) return null;
  const std = stats.std ?? 0;
  if (!Number.isFinite(raw) || !Number.isFinite(mean) || !Number.isFinite(std)) return null;
  if ((stats.degenerate ?? 0) >= 0.5) return null;
  if (std < MIN_STD) return null;
  return (raw - mean) / std;
}

export function verdictFromZ(z: number | null, threshold: number): Verdict | null {
  if (z === null) return null;
  return z >= threshold ? 'pass' : 'fail';
}

/** sigmoid(z/3) with the argument clamped to ±50: z=0 → 0.5, z=3 → 0.731. */
export function scoreFromZ(z: number | null): number | null {
  if (z === null) return null;
  const t = Math.max(-50, Math.min(50, z / 3));
  return 1 / (1 + Math.exp(-t));
}

export function noCalibrationNote(kind: string): string {
  return `(no calibration for ${kind})`;
}

/** z against every rank's stats; ranks without a usable z are dropped; null when none survive. */
export function zScoresByRank(
  raw: number | null,
  statsByRank: Readonly<Record<string, NullStatLike>> | null | undefined,
  sign: 1 | -1 = 1,
): Record<string, number> | null {
  if (!statsByRank) return null;
  const out: Record<string, number> = {};
  let any = false;
  for (const [rank, stats] of Object.entries(statsByRank)) {
    const z = zScore(raw, stats);
    if (z === null) continue;
    out[rank] = sign * z;
    any = true;
  }
  return any ? out : null;
}

/** Stats of one kind's finite null raws: population std floored at MIN_STD, degenerate flag. */
export function nullStatFromRaws(raws: readonly number[]): Required<NullStat> {
  const n = raws.length;
  const mean = raws.reduce((a, b) => a + b, 0) / n;
  let rawStd = 0;
  if (n > 1) rawStd = Math.sqrt(raws.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  return { mean, std: Math.max(rawStd, MIN_STD), n, degenerate: n <= 1 || rawStd === 0 ? 1 : 0 };
}
