/**
 * The one "z first, else fixed threshold" verdict path every numeric probe shares, and the
 * evidence that backs a z: the null samples, the effect size and the empirical tail.
 *
 * Two shapes of question:
 * - effect probes ("did the adapter do something a null of its strength does not?") pass
 *   when z >= the threshold;
 * - harm probes ("did the adapter do harm beyond what a null does?") pass unless the harm
 *   exceeds the null by the threshold.
 * Without usable null stats both fall back to the probe's fixed thresholds, and the note
 * says why (no calibration, a single seed, or a null that is identical under every seed).
 */
import type { NullStat, Verdict } from '../core/results.js';
import { noCalibrationNote, scoreFromZ, zScore, zScoresByRank } from '../core/zscore.js';
import { nullStatsByRankFor, nullStatsFor } from './common.js';
import type { RunContext } from './types.js';

export const clamp01 = (x: number): number => Math.max(0, Math.min(1, x));

/** z beyond this prints as "> 50σ": the null is then far too narrow for the digits to mean anything. */
export const Z_PRINT_LIMIT = 50;

/** `+3.21σ`, or `> 50σ` / `< -50σ` for very large |z|. */
export function zText(z: number): string {
  if (z > Z_PRINT_LIMIT) return `> ${Z_PRINT_LIMIT}σ`;
  if (z < -Z_PRINT_LIMIT) return `< -${Z_PRINT_LIMIT}σ`;
  return `${z >= 0 ? '+' : ''}${z.toFixed(2)}σ`;
}

/** Summary of the null samples a probe was compared with (JSON evidence). */
export interface NullSamples {
  n: number;
  mean: number;
  std: number;
  min: number | null;
  max: number | null;
  values: number[];
}

export interface Calibration {
  kind: string;
  /** z with the probe's sign applied (positive = the direction the probe counts as effect / no harm); null when not calibrated. */
  z: number | null;
  zByRank: Record<string, number> | null;
  /** Why z is null ("" when it is not). */
  note: string;
  /** Evidence fields to spread into the probe's evidence. */
  evidence: Record<string, unknown>;
}

function samplesOf(stats: NullStat): NullSamples {
  const values = Array.isArray(stats.values) ? stats.values.filter((v) => typeof v === 'number' && Number.isFinite(v)) : [];
  return {
    n: stats.n,
    mean: stats.mean,
    std: stats.std,
    min: values.length ? Math.min(...values) : null,
    max: values.length ? Math.max(...values) : null,
    values,
  };
}

/** Fraction of null samples at or beyond `raw` on the given side (null without samples). */
export function tailFraction(values: readonly number[], raw: number, side: 'upper' | 'lower'): number | null {
  if (!values.length) return null;
  const hits = values.filter((v) => (side === 'upper' ? v >= raw : v <= raw)).length;
  return hits / values.length;
}

/** Why a kind has stats but no z: only here can more seeds help, or not. */
export function degenerateNote(kind: string, stats: NullStat): string {
  if (stats.n <= 1) return `(null for ${kind} has ${stats.n} usable seed — z needs at least 2; raise null_adapter \`runs:\`; fixed thresholds used)`;
  const v = samplesOf(stats);
  const same = v.values.length ? v.values[0]! : stats.mean;
  return `(null for ${kind} is identical under all ${stats.n} seeds (${Number(same.toPrecision(4))}) — more runs cannot widen it; fixed thresholds used)`;
}

/**
 * z of `raw` against the null of `kind`, with its evidence. `sign` -1 for metrics where lower
 * means more effect / less harm; `tail` names the side of the raw axis that counts as
 * "at least as extreme as the adapter" (upper by default for sign +1).
 */
export function calibrate(ctx: RunContext, kind: string, raw: number, sign: 1 | -1 = 1, tail: 'upper' | 'lower' = sign === 1 ? 'upper' : 'lower'): Calibration {
  const stats = nullStatsFor(ctx, kind);
  const byRank = nullStatsByRankFor(ctx, kind);
  const zRaw = zScore(raw, stats);
  const z = zRaw === null ? null : sign * zRaw;
  const evidence: Record<string, unknown> = { z_by_rank: zScoresByRank(raw, byRank, sign) };
  let note = '';
  if (!stats) note = noCalibrationNote(kind);
  else {
    const samples = samplesOf(stats);
    const rawStd = samples.values.length > 1 ? Math.sqrt(samples.values.reduce((a, v) => a + (v - samples.mean) ** 2, 0) / samples.values.length) : stats.std;
    evidence['null_samples'] = samples;
    evidence['effect_size'] = Number.isFinite(raw) && rawStd > 0 && (stats.degenerate ?? 0) < 0.5 ? (raw - stats.mean) / rawStd : null;
    evidence['tail_fraction'] = Number.isFinite(raw) ? tailFraction(samples.values, raw, tail) : null;
    evidence['tail_side'] = tail;
    if (byRank && Object.keys(byRank).length > 1) {
      evidence['null_samples_by_rank'] = Object.fromEntries(Object.entries(byRank).map(([k, s]) => [k, samplesOf(s)]));
    }
    if (zRaw === null) note = degenerateNote(kind, stats);
  }
  if (note) evidence['null_fallback'] = note;
  return { kind, z, zByRank: evidence['z_by_rank'] as Record<string, number> | null, note, evidence };
}

export interface Judgement {
  verdict: Verdict;
  score: number;
}

/** Below this a score reads as "not healthy"; a FAIL never scores at or above it. */
export const FAIL_SCORE_CAP = 0.59;

/** A fixed-rule judgement whose score agrees with its verdict (a FAIL never lands in the healthy band). */
function consistent(j: Judgement): Judgement {
  return j.verdict === 'fail' ? { verdict: 'fail', score: Math.min(j.score, FAIL_SCORE_CAP) } : j;
}

/** Effect probes: PASS when z >= threshold; without z, the fixed rule decides. */
export function judgeEffect(cal: Calibration, threshold: number, fixed: () => Judgement): Judgement {
  if (cal.z === null) return consistent(fixed());
  return { verdict: cal.z >= threshold ? 'pass' : 'fail', score: scoreFromZ(cal.z) ?? 0 };
}

/**
 * 0..1 score of a do-no-harm check from harm relative to what is allowed: no harm -> 1,
 * harm up to the limit -> down to 0.6 (still a pass in the healthy band), beyond it down to 0.
 */
export function harmScore(ratio: number): number {
  if (!Number.isFinite(ratio)) return 0;
  if (ratio <= 0) return 1;
  if (ratio < 1) return 1 - 0.4 * ratio;
  return 0.6 * Math.max(0, 1 - (ratio - 1) / 2);
}

/**
 * Harm probes: with z (positive = less harm than the null), FAIL only when the harm exceeds
 * the null's by `threshold` σ (z <= -threshold); without z, the fixed rule decides.
 */
export function judgeHarm(cal: Calibration, threshold: number, fixed: () => Judgement): Judgement {
  if (cal.z === null) return consistent(fixed());
  const harmZ = -cal.z;
  const t = Math.max(threshold, 1e-6);
  return { verdict: harmZ >= threshold ? 'fail' : 'pass', score: harmScore(harmZ / t) };
}

/** `, z=+1.23σ vs null` when calibrated, else ` <fallback note>`. */
export function zSuffix(cal: Calibration, what = 'vs null'): string {
  if (cal.z === null) return ` ${cal.note}`;
  return Math.abs(cal.z) > Z_PRINT_LIMIT ? `, z ${zText(cal.z)} ${what}` : `, z=${zText(cal.z)} ${what}`;
}

/** The calibrated verdict of a harm probe in words. */
export function harmText(verdict: Verdict, threshold: number): string {
  return verdict === 'pass' ? `no harm beyond the null (fails at ≥ ${threshold}σ worse)` : `harm ≥ ${threshold}σ beyond the null`;
}
