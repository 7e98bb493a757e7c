/**
 * Model / adapter id → local directory, offline. A local directory wins; otherwise the
 * argument is a Hugging Face id (`org/name[@revision]`) looked up in the hub cache
 * (`models--org--name/refs/<rev>` → `snapshots/<sha>`). Nothing here touches the network.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AdapterError, ModelError } from '../core/errors.js';

export type ResolveKind = 'model' | 'adapter';

export interface ResolveOptions {
  kind?: ResolveKind;
  /** Environment to read cache locations from (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface ResolvedDir {
  dir: string;
  /** 'local' for a directory argument, 'hf-cache' for a hub cache snapshot. */
  source: 'local' | 'hf-cache';
  repoId: string | null;
  revision: string | null;
  /** Notes such as "refs/main missing, used the only snapshot". */
  warnings: string[];
}

/** The hub cache directory, by the same precedence as huggingface_hub. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
  if (env.HF_HOME) return path.join(env.HF_HOME, 'hub');
  const xdg = env.XDG_CACHE_HOME;
  return path.join(xdg ? xdg : path.join(os.homedir(), '.cache'), 'huggingface', 'hub');
}

const SHA_RE = /^[0-9a-f]{40}$/;
const ID_RE = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Splits `org/name@rev` into id and revision (default main). */
export function parseRepoId(arg: string): { repoId: string; revision: string } {
  const at = arg.lastIndexOf('@');
  if (at > 0) return { repoId: arg.slice(0, at), revision: arg.slice(at + 1) || 'main' };
  return { repoId: arg, revision: 'main' };
}

export function resolveModelDir(idOrPath: string, options: ResolveOptions = {}): ResolvedDir {
  const kind = options.kind ?? 'model';
  const env = options.env ?? process.env;
  const looked: string[] = [];
  const asPath = path.resolve(idOrPath);
  looked.push(`local directory ${asPath}`);
  if (isDir(asPath)) return { dir: asPath, source: 'local', repoId: null, revision: null, warnings: [] };

  const { repoId, revision } = parseRepoId(idOrPath);
  const cache = hubCacheDir(env);
  const Err = kind === 'adapter' ? AdapterError : ModelError;
  const notFound = (): Error => {
    const what = kind === 'adapter' ? 'adapter' : 'model';
    return new Err(
      `${what} '${idOrPath}' not found. Looked in: ${looked.join('; ')}. ` +
        `Fix: pass a local directory holding the ${what} files, or on a machine with network run ` +
        `\`huggingface-cli download ${repoId}${revision !== 'main' ? ` --revision ${revision}` : ''}\` ` +
        '(set HF_HUB_CACHE or HF_HOME if your cache lives elsewhere); sway never downloads.',
      'SWAY_MODEL_NOT_FOUND',
    );
  };
  if (!ID_RE.test(repoId)) throw notFound();
  const repoDir = path.join(cache, `models--${repoId.split('/').join('--')}`);
  const warnings: string[] = [];
  let sha: string | null = null;
  const refFile = path.join(repoDir, 'refs', ...revision.split('/'));
  if (existsSync(refFile)) {
    sha = readFileSync(refFile, 'utf8').trim();
  } else if (SHA_RE.test(revision)) {
    sha = revision;
  }
  looked.push(sha ? `hub cache ${path.join(repoDir, 'snapshots', sha)}` : `hub cache ${refFile}`);
  if (!sha && revision === 'main' && isDir(path.join(repoDir, 'snapshots'))) {
    const snaps = readdirSync(path.join(repoDir, 'snapshots')).filter((s) => isDir(path.join(repoDir, 'snapshots', s)));
    if (snaps.length === 1) {
      sha = snaps[0]!;
      warnings.push(`${refFile} missing; used the only snapshot ${sha}`);
    } else if (snaps.length > 1) {
      throw new Err(
        `model '${idOrPath}': ${refFile} is missing and ${repoDir}/snapshots holds ${snaps.length} snapshots (${snaps.join(', ')}); ` +
          `pick one with '${repoId}@<sha>'`,
        'SWAY_MODEL_NOT_FOUND',
      );
    }
  }
  if (!sha) throw notFound();
  const snap = path.join(repoDir, 'snapshots', sha);
  if (!isDir(snap)) throw notFound();
  checkSnapshotLinks(snap, repoId, revision, warnings, kind);
  return { dir: snap, source: 'hf-cache', repoId, revision, warnings };
}

/** Files whose absence makes a model or adapter unusable (other dangling links only warn). */
const ESSENTIAL_FILE = /\.(safetensors|json|jinja|model)$/;

/**
 * Snapshot files are symlinks into blobs/; an interrupted or pruned download leaves them
 * dangling, which would otherwise surface later as a bare ENOENT on some shard.
 */
function checkSnapshotLinks(snap: string, repoId: string, revision: string, warnings: string[], kind: ResolveKind): void {
  for (const name of readdirSync(snap)) {
    const file = path.join(snap, name);
    let isLink = false;
    try {
      isLink = lstatSync(file).isSymbolicLink();
    } catch {
      continue;
    }
    if (!isLink || existsSync(file)) continue;
    const target = path.resolve(snap, readlinkSync(file));
    const what = `${file} points to ${target}, which does not exist (incomplete or pruned download)`;
    if (!ESSENTIAL_FILE.test(name)) {
      warnings.push(what);
      continue;
    }
    const Err = kind === 'adapter' ? AdapterError : ModelError;
    throw new Err(
      `${what}. Fix: on a machine with network re-run \`huggingface-cli download ${repoId}${revision !== 'main' ? ` --revision ${revision}` : ''}\` to restore the blob, or pass a local directory`,
      'SWAY_MODEL_INVALID',
    );
  }
}

/** Reads `base_model_name_or_path` from an adapter directory's adapter_config.json (null when absent). */
export function readAdapterBaseModel(adapterDir: string): string | null {
  const file = path.join(adapterDir, 'adapter_config.json');
  let cfg: unknown;
  try {
    cfg = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AdapterError(
      code === 'ENOENT' ? `${file} not found; is ${adapterDir} a PEFT adapter directory?` : `${file}: not valid JSON (${(err as Error).message})`,
    );
  }
  const base = (cfg as { base_model_name_or_path?: unknown } | null)?.base_model_name_or_path;
  return typeof base === 'string' && base.length > 0 ? base : null;
}

/** Resolves the base model of an adapter when the user gave none: its `base_model_name_or_path`. */
export function resolveBaseFromAdapter(adapterDir: string, options: Omit<ResolveOptions, 'kind'> = {}): ResolvedDir {
  const base = readAdapterBaseModel(adapterDir);
  if (!base) {
    throw new AdapterError(
      `${path.join(adapterDir, 'adapter_config.json')}: key 'base_model_name_or_path' is missing; pass the base model explicitly (models.base in sway.yaml or --base)`,
    );
  }
  // A relative base path in a config is relative to the adapter directory.
  const candidate = path.isAbsolute(base) ? base : path.join(adapterDir, base);
  if (isDir(candidate)) return { dir: path.resolve(candidate), source: 'local', repoId: null, revision: null, warnings: [] };
  return resolveModelDir(base, { ...options, kind: 'model' });
}
