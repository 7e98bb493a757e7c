/**
 * Warm start: the decoder graph saved on the first load of a plan with its produced fp32
 * weights (norms, biases, RoPE tables: the external-data file) and hard links to the
 * checkpoint files whose tensors it uses as stored, then loaded from disk, so a later
 * command on the same base skips scanning the checkpoint and building the graph.
 *
 * Entries live in `${SWAY_ENGINE_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/sway/engine}/<key>/`
 * (model.onnx, sway-weights.bin, sources.json, one `source-*` hard link per checkpoint file,
 * meta.json); an entry whose checkpoint files were replaced or changed is rebuilt. The key
 * covers everything the graph bakes in: the base's content hash, the LoRA group layout (not
 * the LoRA values, which are feeds), DoRA, the saved-module and base_layer copies (the
 * adapter's content hash when there are any), the RoPE length, the engine version and a
 * graph revision. An entry is staged in a
 * temp folder, synced, and renamed into place; one that is incomplete or does not load is
 * removed and rebuilt.
 * `SWAY_ENGINE_CACHE=off` (or LoadOptions.cacheDir = null) disables it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import type { GraphPlan } from './graph/build.js';
import { EXTERNAL_LOCATION, type SourceLink } from './graph/packer.js';
import { ENGINE_VERSION } from './identity.js';

const MODEL_FILE = 'model.onnx';
const META_FILE = 'meta.json';
/**
 * The checkpoint files the entry's links point at, with the inode, size and mtime they had.
 * A `source-*` file IS the user's checkpoint (a hard link): it is only ever read or unlinked,
 * never opened for writing.
 */
const SOURCES_FILE = 'sources.json';
/**
 * Entries kept (least recently used removed first). An entry is small (a graph, its produced
 * weights, hard links), but a link keeps a deleted checkpoint's disk space until the entry goes.
 */
const MAX_ENTRIES = 4;

/** Records the links of a staged entry (written before meta.json, checked by findEntry). */
export function writeSources(dir: string, links: readonly SourceLink[]): void {
  writeFileSync(join(dir, SOURCES_FILE), JSON.stringify(links));
}

/**
 * Whether every checkpoint file an entry links to is still the file at its path (same
 * inode, size and mtime): a checkpoint replaced or rewritten since makes the entry stale.
 */
function sourcesUnchanged(dir: string): boolean {
  const links = JSON.parse(readFileSync(join(dir, SOURCES_FILE), 'utf8')) as SourceLink[];
  if (!Array.isArray(links)) return false;
  return links.every((l) => {
    const linked = statSync(join(dir, l.name));
    const current = statSync(l.target);
    return linked.ino === l.ino && current.ino === l.ino && current.size === l.size && current.mtimeMs === l.mtimeMs;
  });
}

/** The cache folder from the environment, or null when disabled. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const flag = (env['SWAY_ENGINE_CACHE'] ?? '').toLowerCase();
  if (flag === 'off' || flag === '0' || flag === 'false') return null;
  if (env['SWAY_ENGINE_CACHE_DIR']) return env['SWAY_ENGINE_CACHE_DIR'];
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'sway', 'engine');
}

/** Bumped when the graph builder changes what a built graph holds for the same inputs. */
const GRAPH_REVISION = 8;

/** `adapterBase`: the adapter replaces base tensors (PEFT base_layer copies), so its content is baked in. */
export function cacheKey(plan: GraphPlan, baseHash: string, adapterHash: string | null, adapterBase = false): string {
  const groups = plan.groups.map((g) => [g.key, g.inFeatures, g.outFeatures, g.rank, g.hasBias]);
  const saved = plan.overrides.size ? [...plan.overrides.keys(), adapterHash] : [];
  const base = adapterBase ? adapterHash : null;
  const text = JSON.stringify({ ENGINE_VERSION, GRAPH_REVISION, baseHash, base, groups, dora: plan.dora, saved, maxPositions: plan.maxPositions });
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

export interface CacheEntry {
  dir: string;
  model: string;
  hasOverrides: boolean;
}

interface EntryMeta {
  key?: unknown;
  hasOverrides?: unknown;
  weightBytes?: unknown;
  modelBytes?: unknown;
}

/** A complete entry for `key`, or null (an incomplete one is removed). */
export function findEntry(root: string, key: string): CacheEntry | null {
  const dir = join(root, key);
  if (!existsSync(dir)) return null;
  const model = join(dir, MODEL_FILE);
  let meta: EntryMeta | null = null;
  try {
    const read = JSON.parse(readFileSync(join(dir, META_FILE), 'utf8')) as EntryMeta | null;
    const complete = read !== null && read.key === key && typeof read.hasOverrides === 'boolean' && statSync(model).size === read.modelBytes && statSync(join(dir, EXTERNAL_LOCATION)).size === read.weightBytes && sourcesUnchanged(dir);
    if (complete) meta = read;
  } catch {
    meta = null;
  }
  if (!meta) {
    dropEntry(dir);
    return null;
  }
  const now = new Date();
  utimesSync(dir, now, now);
  return { dir, model, hasOverrides: meta.hasOverrides as boolean };
}

export function dropEntry(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A fresh temp folder to write an entry into (stale ones of dead processes are removed). */
export function stagingDir(root: string, key: string): { dir: string; model: string; weights: string } {
  mkdirSync(root, { recursive: true });
  removeStale(root);
  const dir = join(root, `.${key}.${process.pid}.${Date.now()}.tmp`);
  mkdirSync(dir);
  return { dir, model: join(dir, MODEL_FILE), weights: join(dir, EXTERNAL_LOCATION) };
}

/**
 * Completes a staged entry: syncs both files, writes meta last, renames the folder into
 * place and trims old entries. Resolves false (and removes the staging) on any failure.
 */
export async function commitEntry(root: string, key: string, staged: string, hasOverrides: boolean): Promise<boolean> {
  try {
    const sizes: number[] = [];
    for (const f of [MODEL_FILE, EXTERNAL_LOCATION]) {
      const h = await open(join(staged, f), 'r+');
      try {
        await h.sync();
        sizes.push((await h.stat()).size);
      } finally {
        await h.close();
      }
    }
    writeFileAtomic(join(staged, META_FILE), JSON.stringify({ key, hasOverrides, modelBytes: sizes[0], weightBytes: sizes[1] }));
    const target = join(root, key);
    if (existsSync(target)) dropEntry(target); // another process stored it meanwhile
    await rename(staged, target);
    trim(root);
    return true;
  } catch {
    dropEntry(staged);
    return false;
  }
}

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeStale(root: string): void {
  for (const name of readdirSync(root)) {
    const m = /^\.[0-9a-f]+\.(\d+)\.\d+\.tmp$/.exec(name);
    if (m && !pidRuns(Number(m[1]))) dropEntry(join(root, name));
  }
}

function trim(root: string): void {
  const entries = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => ({ dir: join(root, d.name), t: statSync(join(root, d.name)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const e of entries.slice(MAX_ENTRIES)) dropEntry(e.dir);
}

/** What the warm-start cache holds, for `sway doctor`. */
export interface CacheSummary {
  /** The cache folder, or null when the cache is off. */
  dir: string | null;
  entries: number;
  /** Bytes of the entries' own files (graphs, produced weights, copied checkpoint bytes), not of the linked checkpoints. */
  ownBytes: number;
  /** Checkpoint files the entries hard-link (their space stays in use while an entry does). */
  linkedFiles: string[];
}

export function summariseCache(root: string | null): CacheSummary {
  const out: CacheSummary = { dir: root, entries: 0, ownBytes: 0, linkedFiles: [] };
  if (!root || !existsSync(root)) return out;
  const linked = new Set<string>();
  for (const d of readdirSync(root, { withFileTypes: true })) {
    if (!d.isDirectory() || d.name.startsWith('.')) continue;
    out.entries++;
    const dir = join(root, d.name);
    for (const f of readdirSync(dir)) if (!f.startsWith('source-')) out.ownBytes += statSync(join(dir, f)).size;
    try {
      for (const l of JSON.parse(readFileSync(join(dir, SOURCES_FILE), 'utf8')) as SourceLink[]) linked.add(l.target);
    } catch {
      // an entry of an older layout, or being written: nothing linked to report
    }
  }
  out.linkedFiles = [...linked].sort();
  return out;
}
