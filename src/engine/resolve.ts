/**
 * Model and adapter locations: a local directory, or a Hugging Face id resolved offline in
 * the hub cache (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub):
 * models--org--name/refs/<revision> -> snapshots/<sha>. Nothing is downloaded.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ModelError } from '../core/errors.js';

export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['HF_HUB_CACHE']) return env['HF_HUB_CACHE'];
  if (env['HF_HOME']) return join(env['HF_HOME'], 'hub');
  return join(homedir(), '.cache', 'huggingface', 'hub');
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Resolves `idOrPath` (optionally `org/name@revision`) to a directory, or throws naming every place tried. */
export function resolveModelDir(idOrPath: string, what: 'model' | 'adapter' = 'model', env: NodeJS.ProcessEnv = process.env): string {
  const expanded = idOrPath.startsWith('~/') ? join(homedir(), idOrPath.slice(2)) : idOrPath;
  const tried: string[] = [];
  const local = isAbsolute(expanded) ? expanded : resolve(expanded);
  if (isDir(local)) return local;
  tried.push(`local directory ${local}`);
  const looksLikeId = /^[\w.-]+\/[\w.-]+(@[\w./-]+)?$/.test(idOrPath) && !idOrPath.startsWith('.');
  if (looksLikeId) {
    const [id, revision = 'main'] = idOrPath.split('@') as [string, string?];
    const cache = hubCacheDir(env);
    const repo = join(cache, `models--${id.replace('/', '--')}`);
    let snapshot = revision;
    const ref = join(repo, 'refs', revision);
    if (existsSync(ref)) snapshot = readFileSync(ref, 'utf8').trim();
    const snapDir = join(repo, 'snapshots', snapshot);
    if (isDir(snapDir)) return snapDir;
    tried.push(`Hugging Face cache ${snapDir} (cache root from HF_HUB_CACHE / HF_HOME / ~/.cache/huggingface/hub)`);
  }
  throw new ModelError(
    `${what} '${idOrPath}' not found; looked in: ${tried.join('; ')}. sway never downloads: pass a local directory, ` +
      `or download it first on a networked machine (huggingface-cli download ${looksLikeId ? idOrPath.split('@')[0] : '<org/name>'}).`,
    'SWAY_MODEL_NOT_FOUND',
  );
}

/** `base_model_name_or_path` of an adapter directory, or null. */
export function adapterBaseModel(adapterDir: string): string | null {
  try {
    const cfg = JSON.parse(readFileSync(join(adapterDir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    return typeof cfg['base_model_name_or_path'] === 'string' ? (cfg['base_model_name_or_path'] as string) : null;
  } catch {
    return null;
  }
}
