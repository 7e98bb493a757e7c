/**
 * Which null-statistics cache files belong to a spec. Each cache file records the backend
 * identity it was computed for (`backend_identity`); a spec's identity comes from its model
 * files without loading them, so pack takes only what a run of this spec would read.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SwaySpec } from '../../core/schema.js';
import { identityFromFiles } from '../../engine/identity.js';

export interface CacheSelection {
  files: { key: string; data: Buffer }[];
  /** Why nothing could be selected, when that is so. */
  note: string | null;
}

/** The backend identity a run of `spec` would report, or null when it cannot be known offline. */
export function specBackendIdentity(spec: SwaySpec): string | null {
  const ft = spec.models.ft;
  if (!spec.defaults.differential || ft.kind !== 'hf') return null;
  return identityFromFiles({ base: ft.base, adapter: ft.adapter });
}

export function selectNullCacheEntries(spec: SwaySpec, dir: string): CacheSelection {
  if (!existsSync(dir)) return { files: [], note: null };
  let identity: string | null;
  try {
    identity = specBackendIdentity(spec);
  } catch (err) {
    return { files: [], note: `could not read the spec's model files to match null-stats cache entries (${(err as Error).message}); none were packed` };
  }
  if (!identity) return { files: [], note: `null-stats cache entries are matched by model content; a ${spec.defaults.differential ? spec.models.ft.kind : 'two-model'} spec has none to match, so none were packed` };
  const files: CacheSelection['files'] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
    const data = readFileSync(join(dir, f));
    let recorded: unknown;
    try {
      recorded = (JSON.parse(data.toString('utf8')) as Record<string, unknown> | null)?.['backend_identity'];
    } catch {
      continue;
    }
    if (recorded === identity) files.push({ key: f.replace(/\.json$/, ''), data });
  }
  return { files, note: null };
}
