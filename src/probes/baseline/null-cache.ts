/**
 * On-disk cache of null-adapter statistics, keyed by backend identity (content hashes of
 * base and adapter, dtype, engine version) plus the calibration parameters and the sway
 * version. Files carry their own key and format; a corrupt or foreign file is ignored with
 * a warning and recomputed, never trusted. Writes are atomic.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
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
  const text = JSON.stringify(stable({ backend: identity, params, sway_version: SWAY_VERSION }));
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

const disabled = (env: NodeJS.ProcessEnv) => env['SWAY_DISABLE_NULL_CACHE'] === '1';

export type Warn = (message: string) => void;
const stderrWarn: Warn = (m) => process.stderr.write(`sway: warning: ${m}\n`);

export function loadNullCache(key: string | null, warn: Warn = stderrWarn, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> | null {
  if (!key || disabled(env)) return null;
  const file = join(nullCacheRoot(env), `${key}.json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const data = JSON.parse(text) as Record<string, unknown>;
    if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Error('top level is not an object');
    if (data['format'] !== NULL_CACHE_FORMAT || data['key'] !== key) throw new Error('it was written for another key or format');
    const stats = data['null_stats_by_rank'];
    if (!stats || typeof stats !== 'object') throw new Error('it has no null_stats_by_rank');
    for (const kinds of Object.values(stats as Record<string, unknown>)) {
      for (const s of Object.values(kinds as Record<string, Record<string, unknown>>)) {
        if (typeof s['mean'] !== 'number' || typeof s['std'] !== 'number' || typeof s['n'] !== 'number') throw new Error('a stats entry is malformed');
      }
    }
    return data;
  } catch (err) {
    warn(`ignoring null-stats cache file ${file}: ${(err as Error).message}; recomputing (delete the file to silence this)`);
    return null;
  }
}

export function saveNullCache(key: string | null, payload: Record<string, unknown>, warn: Warn = stderrWarn, env: NodeJS.ProcessEnv = process.env): void {
  if (!key || disabled(env)) return;
  const file = join(nullCacheRoot(env), `${key}.json`);
  try {
    writeFileAtomic(file, JSON.stringify(stable({ ...payload, key, format: NULL_CACHE_FORMAT }), null, 2));
  } catch (err) {
    warn(`could not write null-stats cache ${file}: ${(err as Error).message}`);
  }
}
