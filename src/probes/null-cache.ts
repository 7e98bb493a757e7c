/**
 * On-disk cache of null-adapter statistics. Key: sha256 of the backend identity, the
 * calibration parameters and the sway version (so a new release never trusts stale
 * stats). A file that does not parse, has the wrong shape or carries another key is
 * ignored with one warning on stderr and recomputed. Writes are temp file + rename.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { SWAY_VERSION } from '../core/version.js';

export function nullCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const expand = (p: string): string => (p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p);
  if (env['SWAY_NULL_CACHE_DIR']) return expand(env['SWAY_NULL_CACHE_DIR']);
  if (env['XDG_CACHE_HOME']) return join(env['XDG_CACHE_HOME'], 'dlm-sway', 'null-stats');
  return join(homedir(), '.dlm-sway', 'null-stats');
}

export function nullCacheDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env['SWAY_DISABLE_NULL_CACHE'] ?? '').trim().toLowerCase();
  return v !== '' && v !== '0' && v !== 'false';
}

/** JSON with sorted keys at every level: a stable text to hash. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function computeCacheKey(identity: string | null | undefined, params: Record<string, unknown>): string | null {
  if (!identity) return null;
  const text = stableJson({ backend: identity, params, sway_version: SWAY_VERSION });
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
}

const statSchema = z.object({
  mean: z.number(),
  std: z.number(),
  n: z.number(),
  degenerate: z.number().optional(),
});
const statsMap = z.record(z.string(), statSchema);

export const nullCachePayloadSchema = z.object({
  key: z.string(),
  sway_version: z.string(),
  null_stats: statsMap,
  null_stats_by_rank: z.record(z.string(), statsMap),
  runs: z.number(),
  init_scale: z.number(),
  seed_base: z.number(),
  rank_multipliers: z.array(z.number()),
  calibrated_kinds: z.array(z.string()),
});
export type NullCachePayload = z.infer<typeof nullCachePayloadSchema>;

function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

export function cacheFile(key: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(nullCacheRoot(env), `${key}.json`);
}

export function loadNullCache(key: string | null, env: NodeJS.ProcessEnv = process.env): NullCachePayload | null {
  if (key === null || nullCacheDisabled(env)) return null;
  const file = cacheFile(key, env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    warn(`null-stats cache file ${file} is not valid JSON — ignoring it and recomputing`);
    return null;
  }
  const parsed = nullCachePayloadSchema.safeParse(data);
  if (!parsed.success) {
    warn(`null-stats cache file ${file} has an unexpected shape — ignoring it and recomputing`);
    return null;
  }
  if (parsed.data.key !== key || parsed.data.sway_version !== SWAY_VERSION) {
    warn(`null-stats cache file ${file} belongs to another key or sway version — ignoring it and recomputing`);
    return null;
  }
  return parsed.data;
}

/** Best-effort atomic save; I/O errors only warn. */
export function saveNullCache(key: string | null, payload: Omit<NullCachePayload, 'key' | 'sway_version'>, env: NodeJS.ProcessEnv = process.env): void {
  if (key === null || nullCacheDisabled(env)) return;
  const file = cacheFile(key, env);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(nullCacheRoot(env), { recursive: true });
    const sorted: unknown = JSON.parse(stableJson({ ...payload, key, sway_version: SWAY_VERSION }));
    writeFileSync(tmp, `${JSON.stringify(sorted, null, 2)}\n`, 'utf8');
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    warn(`could not write null-stats cache ${file}: ${(err as Error).message}`);
  }
}
