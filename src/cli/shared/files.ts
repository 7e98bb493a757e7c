/** Atomic writes for report files: temp file in the same directory, then rename. */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SwayError } from '../../core/errors.js';

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const abs = resolve(path);
  const dir = dirname(abs);
  const tmp = join(dir, `.${basename(abs)}.${process.pid}.${Date.now()}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, abs);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new SwayError(`cannot write ${abs}: ${(err as Error).message} — check the directory exists and is writable`, 'SWAY_INPUT', 2);
  }
}
