/** Locates files shipped in the package's data/ directory (above src/ or dist/src/). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SwayError } from '../core/errors.js';

export function packageFile(rel: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, rel))) return join(dir, rel);
    dir = dirname(dir);
  }
  throw new SwayError(`${rel} not found next to the sway package; the installation is incomplete (reinstall sway)`, 'SWAY_RUNTIME', 3);
}

export function readPackageText(rel: string): string {
  return readFileSync(packageFile(rel), 'utf8');
}
