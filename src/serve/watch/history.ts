/**
 * The watch history: one `<UTC YYYYMMDDTHHMMSSZ>-<seq:05d>.result.json` per run, written
 * atomically (temp file + rename, so a reader never sees half a report), keys sorted, and
 * rotated so only the newest N remain. Names sort chronologically, so rotation needs no
 * mtimes.
 */
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomicAsync } from '../../core/atomic-write.js';

export const HISTORY_SUFFIX = '.result.json';

function compactUtc(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export function historyFileName(at: Date, sequence: number): string {
  return `${compactUtc(at)}-${String(sequence).padStart(5, '0')}${HISTORY_SUFFIX}`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** Writes `payload` as `<dir>/<name>` atomically; returns the path. */
export async function writeJsonAtomic(dir: string, name: string, payload: unknown): Promise<string> {
  const target = join(dir, name);
  await writeFileAtomicAsync(target, `${JSON.stringify(sortKeys(payload), null, 2)}\n`);
  return target;
}

/** The highest sequence number among the history files in `dir` (0 when there are none), so numbering goes on across restarts. */
export async function lastHistorySequence(dir: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let last = 0;
  for (const n of names) {
    const m = /^\d{8}T\d{6}Z-(\d+)\.result\.json$/.exec(n);
    if (m) last = Math.max(last, Number(m[1]));
  }
  return last;
}

/** Deletes all but the newest `keep` history files (keep 0 = keep everything); returns the deleted names. */
export async function rotateHistory(dir: string, keep: number): Promise<string[]> {
  if (keep <= 0) return [];
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith(HISTORY_SUFFIX) && !n.startsWith('.')).sort();
  const doomed = names.slice(0, Math.max(0, names.length - keep));
  for (const n of doomed) await unlink(join(dir, n)).catch(() => undefined);
  return doomed;
}
