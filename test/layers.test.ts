// The layers of DESIGN.md, enforced: data flows down, never up.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');
/** What each layer may import (besides itself and node/npm packages). */
const ALLOWED: Record<string, string[]> = {
  core: [],
  report: ['core'],
  engine: ['core'],
  backends: ['core', 'engine'],
  probes: ['core', 'backends'],
  suite: ['core', 'report', 'probes', 'backends', 'engine'],
  serve: ['core', 'report', 'suite', 'probes', 'backends', 'engine'],
  testing: ['core', 'report', 'suite', 'probes', 'backends', 'engine', 'serve'],
  cli: ['core', 'report', 'suite', 'probes', 'backends', 'engine', 'serve'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('layering', () => {
  it('no module imports a layer above its own', () => {
    const violations: string[] = [];
    for (const file of files(SRC)) {
      const layer = relative(SRC, file).split('/')[0] as string;
      if (!(layer in ALLOWED)) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = relative(SRC, resolve(join(file, '..'), m[1] as string)).split('/')[0] as string;
        if (target !== layer && target in ALLOWED && !ALLOWED[layer]!.includes(target)) violations.push(`${relative(SRC, file)} imports ${m[1]}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
