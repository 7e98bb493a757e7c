// The layers of DESIGN.md, enforced: data flows down, never up.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');
/** What each layer may import (besides itself and node/npm packages). `index` is src/index.ts, the library entry. */
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
  index: ['core', 'report', 'suite', 'probes', 'backends', 'engine'],
};
/** Narrower rules inside a layer: probes see the backends only through the contract. */
const ONLY_FILES: Record<string, Record<string, string[]>> = {
  probes: { backends: ['backends/contract.ts'] },
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * Every relative module specifier in a source text: static imports and re-exports (also
 * `import type`, multi-line and side-effect imports) and dynamic `import()`.
 */
export function relativeSpecifiers(text: string): string[] {
  const out: string[] = [];
  const patterns = [/\bfrom\s*(['"])(\.[^'"]+)\1/g, /^\s*import\s*(['"])(\.[^'"]+)\1/gm, /\bimport\s*\(\s*(['"])(\.[^'"]+)\1/g];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[2] as string);
  return out;
}

function layerOf(file: string): string {
  const rel = relative(SRC, file);
  return rel.includes('/') ? (rel.split('/')[0] as string) : 'index';
}

/** The .ts source an import of `spec` from `file` names (imports are written with .js). */
function target(file: string, spec: string): string {
  return resolve(join(file, '..'), spec).replace(/\.js$/, '.ts');
}

describe('layering', () => {
  it('the import scanner sees every kind of import', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b/b.js';",
      "export * from './c.js';",
      'export { d } from "./d.js";',
      "import './side-effect.js';",
      'import {\n  e,\n  f,\n} from "./multi.js";',
      "const g = await import('../../engine/g.js');",
      "const h = await import( \"./h.js\" );",
      "import { z } from 'zod';",
      "const ort = await import('onnxruntime-node');",
    ].join('\n');
    expect(relativeSpecifiers(text).sort()).toEqual(['../../engine/g.js', '../b/b.js', './a.js', './c.js', './d.js', './h.js', './multi.js', './side-effect.js'].sort());
  });

  it('scans every source file, src/index.ts included, and every import resolves', () => {
    const all = files(SRC);
    expect(all).toContain(join(SRC, 'index.ts'));
    for (const file of all) expect(Object.keys(ALLOWED), relative(SRC, file)).toContain(layerOf(file));
    const unresolved = all.flatMap((file) => relativeSpecifiers(readFileSync(file, 'utf8')).filter((s) => !existsSync(target(file, s))).map((s) => `${relative(SRC, file)} imports ${s}`));
    expect(unresolved).toEqual([]);
  });

  it('no module imports a layer above its own', () => {
    const violations: string[] = [];
    for (const file of files(SRC)) {
      const layer = layerOf(file);
      for (const spec of relativeSpecifiers(readFileSync(file, 'utf8'))) {
        const to = target(file, spec);
        const toLayer = layerOf(to);
        if (toLayer === layer) continue;
        if (!ALLOWED[layer]!.includes(toLayer)) violations.push(`${relative(SRC, file)} imports ${spec}`);
        const only = ONLY_FILES[layer]?.[toLayer];
        if (only && !only.includes(relative(SRC, to))) violations.push(`${relative(SRC, file)} imports ${spec} (only ${only.join(', ')} is allowed)`);
      }
    }
    expect(violations).toEqual([]);
  });
});
