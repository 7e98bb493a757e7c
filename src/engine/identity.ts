/** Identities for caches: engine version, content hashes of the base model's files. */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError } from '../core/errors.js';
import { SWAY_VERSION } from '../core/version.js';
import { adapterBaseModel, resolveModelDir } from './resolve.js';

export const ENGINE_VERSION = `sway-engine-1/${SWAY_VERSION}/ort-1.30`;

/** Files of a model directory that define its numerics. */
export const BASE_IDENTITY_FILES = ['config.json', 'tokenizer.json', 'model.safetensors', 'model.safetensors.index.json'];

/**
 * Content hash: small files whole, big weight files by size plus their first and last MiB
 * (read with positioned reads, never the whole file).
 */
export function hashDirFiles(dir: string, files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    const p = join(dir, f);
    let fd: number | null = null;
    try {
      const size = statSync(p).size;
      h.update(`${f}:${size}:`);
      fd = openSync(p, 'r');
      const chunks: [number, number][] = size > 1 << 24 ? [[0, 1 << 20], [size - (1 << 20), 1 << 20]] : [[0, size]];
      for (const [off, len] of chunks) {
        const buf = Buffer.alloc(len);
        readSync(fd, buf, 0, len, off);
        h.update(buf);
      }
    } catch {
      h.update(`${f}:absent`);
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }
  return h.digest('hex');
}

/** Stable identity of a loaded engine: content of base and adapter plus engine version. */
export function engineIdentity(baseHash: string, adapterHash: string | null): string {
  return `hf:${baseHash}:${adapterHash ?? 'none'}:fp32:${ENGINE_VERSION}`;
}

/** sha256 over a PEFT adapter directory's config and tensor file bytes. */
export function adapterContentHash(adapterDir: string): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(adapterDir, 'adapter_config.json')));
  hash.update(readFileSync(join(adapterDir, 'adapter_model.safetensors')));
  return hash.digest('hex');
}

/**
 * The identity `Engine.load(options).identity()` would report, from the files alone (no
 * weights parsed, no session built): for tools that must match cache entries to a spec.
 */
export function identityFromFiles(options: { base?: string | null; adapter?: string | null }): string {
  const adapterDir = options.adapter ? resolveModelDir(options.adapter, 'adapter') : null;
  const baseRef = options.base ?? (adapterDir ? adapterBaseModel(adapterDir) : null);
  if (!baseRef) throw new ModelError('no base model given and the adapter has no base_model_name_or_path; pass --base', 'SWAY_MODEL_NOT_FOUND');
  const baseDir = resolveModelDir(baseRef, 'model');
  return engineIdentity(hashDirFiles(baseDir, BASE_IDENTITY_FILES), adapterDir ? adapterContentHash(adapterDir) : null);
}
