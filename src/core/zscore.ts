/** z-scores against null-adapter statistics, and how they become verdicts and scores. */
import type { NullStat, Verdict } from './results.js';

export const MIN_STD = 1e-6;

export function zScore(raw: number | null | undefined, stats: Partial<NullStat> | null | undefined): number | null {
  if (!stats || raw === null || raw === undefined) return null;
  const { mean, std = 0, degenerate = 0 } = stats;
  if (mean === undefined || mean === null || std === null) return null;
  if (!Number.isFinite(raw) || !Number.isFinite(mean) || !Number.isFinite(std)) return null;
  if (degenerate >= 0.5 || std < MIN_STD) return null;
  return (raw - mean) / std;
}

export function verdictFromZ(z: number | null, threshold: number): Verdict | null {
  if (z === null) return null;
  return z >= threshold ? 'pass' : 'fail';
}

/**
 * z -> 0..1 score, aligned with the composite's bands: z <= 0 -> 0, z = 2 (edge of the null
 * band) -> 0.30 (noise|partial), z = 3 (the default pass threshold) -> 0.60
 * (partial|healthy), then rising towards 0.85 (healthy|suspicious) as z grows. The
 * reference used sigmoid(z/3), which scores a pure-noise adapter 0.5 ("partial"), so a
 * calibrated suite could never land in the noise band; a large z is evidence of an
 * effect, not of a problem, so z alone never reads as "suspicious".
 */
export function scoreFromZ(z: number | null): number | null {
  if (z === null || Number.isNaN(z)) return null;
  if (z <= 0) return 0;
  if (z <= 2) return 0.15 * z;
  if (z <= 3) return 0.3 + 0.3 * (z - 2);
  return 0.6 + 0.25 * (1 - Math.exp(-(z - 3) / 3));
}

export function noCalibrationNote(kind: string): string {
  return `(no calibration for ${kind})`;
}

export function zScoresByRank(
  raw: number | null,
  statsByRank: Readonly<Record<string, Partial<NullStat>>> | null | undefined,
  sign: 1 | -1 = 1,
): Record<string, number> | null {
  if (!statsByRank || Object.keys(statsByRank).length === 0) return null;
  const out: Record<string, number> = {};
  for (const [rank, stats] of Object.entries(statsByRank)) {
    const z = zScore(raw, stats);
    if (z !== null) out[rank] = sign * z;
  }
  return Object.keys(out).length ? out : null;
}

/** Python `%g` of a multiplier: 1 -> "1", 0.5 -> "0.5". */
export function formatMultiplier(m: number): string {
  return String(Number(m.toPrecision(6)));
}

export function rankKey(mult: number): string {
  return `rank_${mult.toFixed(2)}`;
}

/** `+4.20σ @ 1x / +6.80σ @ 0.5x`; "" for none. */
export function formatZProfile(zByRank: Readonly<Record<string, number>> | null | undefined): string {
  if (!zByRank) return '';
  return Object.entries(zByRank)
    .map(([key, z]) => {
      const m = /^rank_(.+)$/.exec(key);
      const label = m && Number.isFinite(Number(m[1])) ? `${formatMultiplier(Number(m[1]))}x` : key;
      return `${z >= 0 ? '+' : ''}${z.toFixed(2)}σ @ ${label}`;
    })
    .join(' / ');
}
