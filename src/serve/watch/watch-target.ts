/**
 * What `sway watch` looks at: the adapter directory of the spec's fine-tuned model
 * (models.ft.adapter, relative to the spec file) unless --adapter names one, and the
 * gate threshold (defaults.coverage_threshold, 0.6 when unset). Read with a light YAML
 * parse: full validation happens in each run, so a spec that is mid-edit does not stop
 * the watcher.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { SpecValidationError, UsageError } from '../../core/errors.js';

export interface WatchTarget {
  adapterDir: string;
  threshold: number;
}

export function readWatchTarget(specPath: string, adapterOverride?: string): WatchTarget {
  let doc: unknown;
  try {
    doc = parse(readFileSync(specPath, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new SpecValidationError(`spec file not found: ${specPath}`);
    throw new SpecValidationError(`invalid YAML: ${e.message}`, specPath);
  }
  const root = (doc ?? {}) as { models?: { ft?: { adapter?: unknown } }; defaults?: { coverage_threshold?: unknown } };
  const t = root.defaults?.coverage_threshold;
  const threshold = typeof t === 'number' && t >= 0 && t <= 1 ? t : 0.6;
  if (adapterOverride) return { adapterDir: resolve(adapterOverride), threshold };
  const adapter = root.models?.ft?.adapter;
  if (typeof adapter !== 'string' || adapter.length === 0) {
    throw new UsageError(
      `${specPath}: models.ft.adapter is not set; sway watch re-runs the spec when the adapter directory changes — ` +
        'set models.ft.adapter or pass --adapter <dir>',
    );
  }
  return { adapterDir: resolve(dirname(specPath), adapter), threshold };
}
