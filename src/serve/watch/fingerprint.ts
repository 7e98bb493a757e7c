/**
 * A cheap identity of "the adapter as it is on disk now": every regular file under the
 * directory (two levels deep) by relative path, size and mtime, plus the content of small
 * files (adapter_config.json, pointer files such as current.txt) so a rewrite within the
 * filesystem's mtime granularity still counts. Weight files are not hashed: reading
 * hundreds of MB every poll would cost more than the runs we are scheduling.
 */
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readFile, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';

const SMALL_FILE_BYTES = 64 * 1024;
const MAX_DEPTH = 2;
const MAX_ENTRIES = 5000;

async function listFiles(root: string, rel: string, depth: number, out: string[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(join(root, rel), { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (out.length >= MAX_ENTRIES) return;
    if (e.name.startsWith('.') && e.name.endsWith('.tmp')) continue;
    const relPath = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (depth < MAX_DEPTH) await listFiles(root, relPath, depth + 1, out);
    } else {
      out.push(relPath);
    }
  }
}

/** Hex digest of the directory state; null when the directory does not exist or has no files. */
export async function fingerprintDir(dir: string): Promise<string | null> {
  const files: string[] = [];
  await listFiles(dir, '', 0, files);
  if (files.length === 0) return null;
  const hash = createHash('sha256');
  for (const rel of files) {
    const abs = join(dir, rel);
    const link = await readlink(abs).catch(() => null);
    const st = await stat(abs).catch(() => null);
    hash.update(`${rel}\0${link ?? ''}\0`);
    if (!st) {
      hash.update('dangling\n');
      continue;
    }
    hash.update(`${st.size}\0${st.mtimeMs}\0`);
    if (st.isFile() && st.size <= SMALL_FILE_BYTES) {
      const content = await readFile(abs).catch(() => null);
      if (content) hash.update(content);
    }
    hash.update('\n');
  }
  return hash.digest('hex');
}

/** mtime + size of one file (the spec), or a marker when it is missing. */
export async function fileStamp(path: string): Promise<string> {
  const st = await stat(path).catch(() => null);
  if (!st) return 'missing';
  const content = st.size <= SMALL_FILE_BYTES ? await readFile(path).catch(() => null) : null;
  return `${st.size}:${st.mtimeMs}:${content ? createHash('sha256').update(content).digest('hex') : ''}`;
}
