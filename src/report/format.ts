/** Number formatters and message decorations every report surface shares. */
import type { ProbeResult, SuiteResult } from '../core/results.js';

export const DASH = '—';

/**
 * Fixed-point text rounded like Python: Number.toFixed rounds exact binary halves up
 * (0.125 -> "0.13"), Python rounds them to even ("0.12").
 */
export function fixed(x: number, digits: number): string {
  const scaled = x * 10 ** digits;
  const floor = Math.floor(scaled);
  if (scaled - floor === 0.5 && Number.isFinite(scaled)) {
    const even = floor % 2 === 0 ? floor : floor + 1;
    return (even / 10 ** digits).toFixed(digits);
  }
  return x.toFixed(digits);
}

function groupThousands(s: string): string {
  const [i, f] = s.split('.') as [string, string | undefined];
  const neg = i.startsWith('-');
  const body = (neg ? i.slice(1) : i).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '-' : ''}${body}${f !== undefined ? `.${f}` : ''}`;
}

const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export const formatScore = (v: number | null | undefined) => (ok(v) ? fixed(v, 2) : DASH);
export const formatRaw = (v: number | null | undefined) => (ok(v) ? groupThousands(fixed(v, 3)) : DASH);
export const formatZ = (v: number | null | undefined) => (ok(v) ? `${v >= 0 ? '+' : ''}${groupThousands(fixed(v, 2))}σ` : DASH);
export const formatCi = (v: [number, number] | null | undefined) => (v && ok(v[0]) && ok(v[1]) ? `[${fixed(v[0], 3)}, ${fixed(v[1], 3)}]` : DASH);

export function formatDuration(v: number): string {
  if (!ok(v)) return DASH;
  if (v < 10) return `${fixed(v, 2)}s`;
  if (v < 100) return `${fixed(v, 1)}s`;
  return `${groupThousands(fixed(v, 0))}s`;
}

function formatMult(key: string): string {
  const m = /^rank_(.+)$/.exec(key);
  return m && ok(Number(m[1])) ? `${Number(Number(m[1]).toPrecision(6))}x` : key;
}

export function zProfile(zByRank: Record<string, number>): string {
  return Object.entries(zByRank)
    .map(([k, z]) => `${z >= 0 ? '+' : ''}${fixed(z, 2)}σ @ ${formatMult(k)}`)
    .join(' / ');
}

/** Message plus the rank profile when the probe carries z-scores for at least two ranks. */
export function decoratedMessage(r: ProbeResult): string {
  const zb = r.evidence['z_by_rank'];
  if (zb && typeof zb === 'object' && Object.keys(zb).length >= 2) {
    const profile = `rank profile: ${zProfile(zb as Record<string, number>)}`;
    return r.message ? `${r.message} | ${profile}` : profile;
  }
  return r.message;
}

export function adapterLabel(id: string): string {
  if (!id) return '(base only)';
  const parts = id.replace(/\/+$/, '').split('/');
  const label = parts.length > 3 ? parts.slice(-3).join('/') : id;
  return /\s/.test(label) ? `"${label}"` : label;
}

export function wallSeconds(s: SuiteResult): number {
  return (s.finished_at.getTime() - s.started_at.getTime()) / 1000;
}

export function nullOptOuts(s: SuiteResult): string[] {
  const kinds = new Set<string>();
  for (const r of s.probes) {
    if (r.kind !== 'null_adapter') continue;
    const skipped = r.evidence['skipped_kinds'];
    if (!Array.isArray(skipped)) continue;
    // The reference writes {kind, reason} dicts but only read strings; accept both.
    for (const e of skipped) {
      if (typeof e === 'string') kinds.add(e);
      else if (e && typeof e === 'object' && typeof (e as Record<string, unknown>)['kind'] === 'string') kinds.add((e as Record<string, string>)['kind'] as string);
    }
  }
  return [...kinds].sort();
}

export function degenerateNullKinds(s: SuiteResult): string[] {
  if (!s.probes.some((r) => r.kind === 'null_adapter')) return [];
  return Object.entries(s.null_stats)
    .filter(([, st]) => (st.degenerate ?? 0) >= 0.5)
    .map(([k]) => k)
    .sort();
}

export function cacheLine(s: SuiteResult): string | null {
  const b = s.backend_stats;
  const hits = b['cache_hits'] ?? 0;
  const misses = b['cache_misses'] ?? 0;
  const parts: string[] = [];
  if (hits + misses > 0) parts.push(`cache: ${hits}/${hits + misses} = ${fixed((100 * hits) / (hits + misses), 0)}%`);
  if ((b['forward_passes'] ?? 0) > 0) parts.push(`forward passes: ${b['forward_passes']}`);
  if ((b['batches_sent'] ?? 0) > 0) parts.push(`batches: ${b['batches_sent']} (avg=${fixed(b['avg_batch_size'] ?? 0, 1)})`);
  return parts.length ? parts.join(' | ') : null;
}

/** SKIPped probes grouped by reason: what this run could not measure, and why. */
export function skippedRollup(s: SuiteResult): { count: number; reasons: [string, string[]][] } {
  const by = new Map<string, string[]>();
  for (const r of s.probes) {
    if (r.verdict !== 'skip' || r.message === 'disabled in spec') continue;
    by.set(r.message, [...(by.get(r.message) ?? []), r.name]);
  }
  return { count: [...by.values()].reduce((a, v) => a + v.length, 0), reasons: [...by] };
}
