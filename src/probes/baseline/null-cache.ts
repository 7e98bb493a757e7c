/**
 * On-disk cache of null-adapter statistics, keyed by backend identity (content hashes of
 * base and adapter, dtype, engine version) plus the calibration parameters, the sway
 * version and the null-draw version (statistics of another draw stream never hit). Files carry their own key and format; a corrupt or foreign file is ignored with
 * a warning and recomputed, never trusted. Writes are atomic.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { NULL_DRAW_VERSION } from '../../core/rng.js';
import { SWAY_VERSION } from '../../core/version.js';

export const NULL_CACHE_FORMAT = 1;

export function nullCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['SWAY_NULL_CACHE_DIR'];
  if (explicit) return explicit.startsWith('~/') ? join(homedir(), explicit.slice(2)) : explicit;
  if (env['XDG_CACHE_HOME']) return join(env['XDG_CACHE_HOME'], 'dlm-sway', 'null-stats');
  return join(homedir(), '.dlm-sway', 'null-stats');
}

function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stable);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, stable((v as Record<string, unknown>)[k])]));
  return v;
}

export function nullCacheKey(identity: string | null, params: Record<string, unknown>): string | null {
  if (!identity) return null;
  const text = JSON.stringify(stable({ backend: identity, params, sway_version: SWAY_VERSION, null_draw: NULL_DRAW_VERSION }));
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

const disabled = (env: NodeJS.ProcessEnv) => env['SWAY_DISABLE_NULL_CACHE'] === '1';

export type Warn = (message: string) => void;

/** Why a parsed cache file cannot be trusted for `key`, or null when it can. */
function cacheProblem(data: unknown, key: string): string | null {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return 'top level is not an object';
  const d = data as Record<string, unknown>;
  if (d['format'] !== NULL_CACHE_FORMAT || d['key'] !== key) return 'it was written for another key or format';
  const stats = d['null_stats_by_rank'];
  if (!stats || typeof stats !== 'object') return 'it has no null_stats_by_rank';
  for (const kinds of Object.values(stats as Record<string, unknown>)) {
    if (!kinds || typeof kinds !== 'object') return 'a rank entry is malformed';
    for (const st of Object.values(kinds as Record<string, Record<string, unknown> | null>)) {
      if (!st || typeof st['mean'] !== 'number' || typeof st['std'] !== 'number' || typeof st['n'] !== 'number') return 'a stats entry is malformed';
    }
  }
  return null;
}

export function loadNullCache(key: string | null, warn: Warn, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> | null {
  if (!key || disabled(env)) return null;
  const file = join(nullCacheRoot(env), `${key}.json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  let data: unknown;
  try {
    data = JSON.parse(text) as unknown;
  } catch (err) {
    warn(`ignoring null-stats cache file ${file}: ${(err as Error).message}; recomputing (delete the file to silence this)`);
    return null;
  }
  const problem = cacheProblem(data, key);
  if (problem) {
    warn(`ignoring null-stats cache file ${file}: ${problem}; recomputing (delete the file to silence this)`);
    return null;
  }
  return data as Record<string, unknown>;
}

export function saveNullCache(key: string | null, payload: Record<string, unknown>, warn: Warn, env: NodeJS.ProcessEnv = process.env): void {
  if (!key || disabled(env)) return;
  const file = join(nullCacheRoot(env), `${key}.json`);
  try {
    writeFileAtomic(file, JSON.stringify(stable({ ...payload, key, format: NULL_CACHE_FORMAT }), null, 2));
  } catch (err) {
    warn(`could not write null-stats cache ${file}: ${(err as Error).message}`);
  }
}
