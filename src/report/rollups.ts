/** Footer roll-ups shared by the terminal and Markdown reports (core-suite §6.1). */
import type { SuiteResult } from '../core/results.js';

export function collectMissingExtras(suite: SuiteResult): string[] {
  const out = new Set<string>();
  for (const p of suite.probes) {
    if (p.verdict !== 'skip') continue;
    for (const m of p.message.matchAll(/install the \[([^\]]+)\] extra/gi)) if (m[1]) out.add(m[1]);
  }
  return [...out].sort();
}

export function collectNullOptOuts(suite: SuiteResult): string[] {
  const out = new Set<string>();
  for (const p of suite.probes) {
    if (p.kind !== 'null_adapter') continue;
    const sk = p.evidence['skipped_kinds'];
    if (Array.isArray(sk)) for (const k of sk) if (typeof k === 'string') out.add(k);
  }
  return [...out].sort();
}

export function collectDegenerateNullKinds(suite: SuiteResult): string[] {
  if (!suite.probes.some((p) => p.kind === 'null_adapter')) return [];
  return Object.entries(suite.null_stats)
    .filter(([, s]) => typeof s.degenerate === 'number' && s.degenerate >= 0.5)
    .map(([k]) => k)
    .sort();
}

export function skippedCount(suite: SuiteResult): number {
  return suite.probes.filter((p) => p.verdict === 'skip').length;
}

/** `cache: 12/20 = 60% | batches: 4 (avg=3.5)` or null when there is nothing to say. */
export function cacheLine(stats: Record<string, number>): string | null {
  const hits = stats['cache_hits'] ?? 0;
  const misses = stats['cache_misses'] ?? 0;
  const batches = stats['batches_sent'] ?? 0;
  const parts: string[] = [];
  if (hits + misses > 0) parts.push(`cache: ${hits}/${hits + misses} = ${Math.round((100 * hits) / (hits + misses))}%`);
  if (batches > 0) parts.push(`batches: ${batches} (avg=${(stats['avg_batch_size'] ?? 0).toFixed(1)})`);
  return parts.length ? parts.join(' | ') : null;
}
