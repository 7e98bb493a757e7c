/** The multi-rank z-profile line: `+4.20σ @ 1x / +6.80σ @ 0.5x`. */
import { pyG, signedFixed } from './pyformat.js';

/** `rank_1.00` → `1.00`-style key for a multiplier (two decimals, as the reference). */
export function rankKey(multiplier: number): string {
  return `rank_${multiplier.toFixed(2)}`;
}

/** `rank_0.50` → `0.5x`; a key that does not parse is returned verbatim. */
export function rankLabel(key: string): string {
  const m = /^rank_(.+)$/.exec(key);
  const v = m ? Number(m[1]) : NaN;
  return m && m[1] !== '' && Number.isFinite(v) ? `${pyG(v)}x` : key;
}

export function formatZProfile(zByRank: Readonly<Record<string, number>> | null | undefined): string {
  if (!zByRank) return '';
  return Object.entries(zByRank)
    .map(([k, z]) => `${signedFixed(z, 2)}σ @ ${rankLabel(k)}`)
    .join(' / ');
}

/** The report note: the message plus the profile when there are at least two ranks. */
export function withRankProfile(message: string, zByRank: Readonly<Record<string, number>> | null | undefined): string {
  if (!zByRank || Object.keys(zByRank).length < 2) return message;
  const profile = `rank profile: ${formatZProfile(zByRank)}`;
  return message ? `${message} | ${profile}` : profile;
}
