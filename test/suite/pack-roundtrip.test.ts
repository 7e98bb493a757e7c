import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packSuite, unpackSuite } from '../../src/suite/pack/pack.js';

const dirs: string[] = [];
const saved = process.env['SWAY_NULL_CACHE_DIR'];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  if (saved === undefined) delete process.env['SWAY_NULL_CACHE_DIR'];
  else process.env['SWAY_NULL_CACHE_DIR'] = saved;
});

/** Incompressible bytes (xorshift32). */
function noise(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 2463534242;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function setup(): { dir: string; spec: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sway-pack-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'proj'));
  const spec = join(dir, 'proj', 'sway.yaml');
  writeFileSync(spec, 'version: 1\ndlm_source: ./doc.dlm\nmodels:\n  base: {kind: dummy, base: b}\n  ft: {kind: dummy, base: b}\nsuite: []\n');
  writeFileSync(join(dir, 'proj', 'doc.dlm'), '---\ntitle: x\n---\nSome prose.\n');
  mkdirSync(join(dir, 'cache'));
  writeFileSync(join(dir, 'cache', 'abc123.json'), '{"null_stats": {}}');
  writeFileSync(join(dir, 'cache', 'ignored.txt'), 'x');
  writeFileSync(join(dir, 'golden.json'), '{"schema_version": 1}');
  process.env['SWAY_NULL_CACHE_DIR'] = join(dir, 'cache');
  return { dir, spec };
}

describe('pack → unpack', () => {
  it('round-trips spec, .dlm source, null-stats cache and golden report', async () => {
    const { dir, spec } = setup();
    const out = join(dir, 'suite.swaypack.tar.gz');
    const r = await packSuite(spec, { out, includeGolden: join(dir, 'golden.json') });
    expect(r).toMatchObject({ nullStatsCount: 1, goldenIncluded: true, sectionBytes: 29 });
    const u = unpackSuite(out, join(dir, 'x'));
    expect(readFileSync(u.specPath, 'utf8')).toBe(readFileSync(spec, 'utf8'));
    expect(readFileSync(join(u.outDir, 'source.dlm'), 'utf8')).toBe('---\ntitle: x\n---\nSome prose.\n');
    expect(readFileSync(join(u.outDir, 'golden.json'), 'utf8')).toBe('{"schema_version": 1}');
    expect(readFileSync(join(u.nullStatsDir ?? '', 'abc123.json'), 'utf8')).toBe('{"null_stats": {}}');
    expect(existsSync(join(u.outDir, 'null-stats', 'ignored.txt'))).toBe(false);
    expect(u.manifest).toMatchObject({ swaypack_version: 1, null_stats_keys: ['abc123'], golden_included: true, dlm_source_packed: true, spec_filename: 'sway.yaml' });
  });
  it('refuses to overwrite, bad golden paths, and packs over the size cap (nothing written)', async () => {
    const { dir, spec } = setup();
    const out = join(dir, 'p.tar.gz');
    await expect(packSuite(spec, { out, includeGolden: join(dir, 'nope.json') })).rejects.toThrow(/--include-golden path does not exist/);
    await expect(packSuite(spec, { out, includeGolden: dir })).rejects.toThrow(/--include-golden must be a file/);
    writeFileSync(join(dir, 'cache', 'big.json'), noise(300_000));
    await expect(packSuite(spec, { out, maxSizeMb: 0.1 })).rejects.toThrow(/exceeds the cap of 0\.1 MB/);
    expect(existsSync(out)).toBe(false);
    await packSuite(spec, { out, includeNullCache: false });
    await expect(packSuite(spec, { out })).rejects.toThrow(/refusing to overwrite existing pack/);
  });
});
