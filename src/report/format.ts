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
/** Beyond this |z| the digits only measure how narrow the null was: printed as "> 50σ". */
export const Z_LIMIT = 50;

export const formatZ = (v: number | null | undefined) => {
  if (!ok(v)) return DASH;
  if (v > Z_LIMIT) return `> ${Z_LIMIT}σ`;
  if (v < -Z_LIMIT) return `< -${Z_LIMIT}σ`;
  return `${v >= 0 ? '+' : ''}${fixed(v, 2)}σ`;
};
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
    .map(([k, z]) => `${formatZ(z)} @ ${formatMult(k)}`)
    .join(' / ');
}

export function rankLabel(key: string): string {
  return formatMult(key);
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
  const d = degenerateNulls(s);
  return [...d.fewSeeds, ...d.identical].sort();
}

/**
 * Kinds whose null could not give a z, split by whether more seeds can help: `fewSeeds`
 * (at most one usable seed: raise `runs:`) and `identical` (the metric came out the same
 * under every seed, e.g. identically 0: more runs cannot widen it; fixed thresholds were used).
 */
export function degenerateNulls(s: SuiteResult): { fewSeeds: string[]; identical: string[] } {
  const out = { fewSeeds: [] as string[], identical: [] as string[] };
  if (!s.probes.some((r) => r.kind === 'null_adapter')) return out;
  for (const [k, st] of Object.entries(s.null_stats).sort(([a], [b]) => a.localeCompare(b))) {
    if ((st.degenerate ?? 0) < 0.5) continue;
    (st.n <= 1 ? out.fewSeeds : out.identical).push(k);
  }
  return out;
}

/** Which null family the suite's null_adapter used, in words (null when none ran). */
export function nullFamily(s: SuiteResult): string | null {
  const r = s.probes.find((p) => p.kind === 'null_adapter' && p.verdict === 'pass');
  if (!r) return null;
  const label = r.evidence['null_family'];
  if (typeof label === 'string') return label;
  // Reports written before null_scale existed (and the reference's) used fixed-init-scale nulls.
  const init = r.evidence['init_scale'];
  return `fixed init scale (N(0, ${typeof init === 'number' ? init : 0.02}²) A and B, the reference's nulls)`;
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
