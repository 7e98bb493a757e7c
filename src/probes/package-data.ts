/** Locates files shipped in the package's data/ directory (above src/ or dist/src/). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageFile(rel: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, rel))) return join(dir, rel);
    dir = dirname(dir);
  }
  throw new Error(`${rel} not found next to the sway package`);
}

export function readPackageText(rel: string): string {
  return readFileSync(packageFile(rel), 'utf8');
}
