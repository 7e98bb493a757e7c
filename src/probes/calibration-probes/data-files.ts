/** Shipped data files (data/ at the package root), found from this module in src/ and dist/src/ alike. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'data'))) return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('sway data/ directory not found next to package.json');
    dir = up;
  }
}

export function dataFile(name: string): string {
  return join(packageRoot(), 'data', name);
}
