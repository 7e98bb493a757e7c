/**
 * The one way sway writes a file: a sibling temp file, fsync, then rename over the target,
 * so a reader sees the old file or the new one, never half of one. Temp files are named
 * `.<target>.<pid>.<ms>.<n>.tmp`; one left behind by a killed process (its pid no longer
 * runs) is removed on the next write of the same target. Failures a user can fix (the
 * target is a directory, the folder is read-only) are SwayErrors naming the target.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SwayError } from './errors.js';

let counter = 0;

function tempName(path: string): string {
  counter = (counter + 1) % 1_000_000;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.${counter}.tmp`);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function pidRuns(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Names in `entries` that are our temp files for `target` left by a process that no longer runs. */
export function staleTempFiles(target: string, entries: readonly string[]): string[] {
  const re = new RegExp(`^\\.${escapeRe(basename(target))}\\.(\\d+)\\.\\d+(?:\\.\\d+)?\\.tmp$`);
  return entries.filter((name) => {
    const m = re.exec(name);
    return m !== null && !pidRuns(Number(m[1]));
  });
}

const USER_FIXABLE = new Set(['EISDIR', 'ENOTDIR', 'EACCES', 'EPERM', 'ENOENT', 'EROFS', 'ENAMETOOLONG', 'EEXIST', 'ENOSPC', 'EDQUOT']);

function writeError(path: string, err: unknown): SwayError {
  if (err instanceof SwayError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const why =
    code === 'EISDIR'
      ? 'it is a directory; give a file path'
      : code === 'ENOTDIR' || code === 'EEXIST'
        ? 'a parent of it is a file, not a directory'
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? 'permission denied; choose a writable location'
          : code === 'ENOSPC' || code === 'EDQUOT'
            ? 'no space left on the device'
            : (err as Error).message;
  return new SwayError(`cannot write ${path}: ${why}`, 'SWAY_INPUT', USER_FIXABLE.has(code) ? 2 : 3);
}

function refuseDirectorySync(path: string): void {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    return;
  }
  if (isDir) throw writeError(path, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
}

function toBuffer(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/** Writes `data` to `path` atomically and durably (synchronous). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  refuseDirectorySync(path);
  const dir = dirname(path);
  let tmp: string | null = null;
  try {
    mkdirSync(dir, { recursive: true });
    for (const stale of staleTempFiles(path, readdirSync(dir))) rmSync(join(dir, stale), { force: true });
    tmp = tempName(path);
    const fd = openSync(tmp, 'w');
    try {
      const buf = toBuffer(data);
      let done = 0;
      while (done < buf.byteLength) done += writeSync(fd, buf, done, buf.byteLength - done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    if (tmp) rmSync(tmp, { force: true });
    throw writeError(path, err);
  }
}

/** The same as `writeFileAtomic`, without blocking the event loop (the watch daemon, serve). */
export async function writeFileAtomicAsync(path: string, data: string | Uint8Array): Promise<void> {
  const isDir = await stat(path).then((s) => s.isDirectory(), () => false);
  if (isDir) throw writeError(path, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
  const dir = dirname(path);
  let tmp: string | null = null;
  try {
    await mkdir(dir, { recursive: true });
    for (const stale of staleTempFiles(path, await readdir(dir))) await rm(join(dir, stale), { force: true });
    tmp = tempName(path);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(toBuffer(data));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    if (tmp) await rm(tmp, { force: true });
    throw writeError(path, err);
  }
}
