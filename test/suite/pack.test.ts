import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { pack, unpack } from '../../src/suite/pack/pack.js';
import { writeTar } from '../../src/suite/pack/tar.js';
import { expectCleanError, sway, swayIn } from '../support/cli.js';

const SPEC = `version: 1
models:
  base: {kind: dummy, base: tiny}
  ft: {kind: dummy, base: tiny}
dlm_source: doc.dlm
suite:
  - {name: dk, kind: delta_kl, prompts: [a]}
`;

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'sway-pack-'));
  writeFileSync(join(dir, 'sway.yaml'), SPEC);
  writeFileSync(join(dir, 'doc.dlm'), '---\ntitle: t\n---\nSome prose.\n');
  const cache = join(dir, 'cache');
  mkdirSync(cache);
  writeFileSync(join(cache, 'abc.json'), '{"format": 1}');
  writeFileSync(join(dir, 'golden.json'), '{"probes": []}');
  return { dir, cache };
}

const manifest = Buffer.from(JSON.stringify({ swaypack_version: 1, spec_filename: 'sway.yaml' }));

function evil(entries: Parameters<typeof writeTar>[0]): string {
  const f = join(mkdtempSync(join(tmpdir(), 'sway-evil-')), 'evil.swaypack.tar.gz');
  writeFileSync(f, gzipSync(writeTar([{ name: 'swaypack/sway.yaml', data: Buffer.from(SPEC) }, { name: 'swaypack/manifest.json', data: manifest }, ...entries])));
  return f;
}

describe('pack / unpack', () => {
  it('round-trips spec, .dlm source and golden report; a dummy spec has no null-stats entries of its own', async () => {
    const { dir, cache } = workspace();
    process.env['SWAY_NULL_CACHE_DIR'] = cache;
    try {
      const r = pack(join(dir, 'sway.yaml'), { out: join(dir, 'x.swaypack.tar.gz'), includeGolden: join(dir, 'golden.json') });
      expect(r.nullStatsCount).toBe(0);
      expect(r.sectionBytes).toBeGreaterThan(0);
      const target = join(dir, 'out');
      const u = await unpack(r.outPath, target);
      expect(readFileSync(u.specPath, 'utf8')).toBe(SPEC.replace('dlm_source: doc.dlm', 'dlm_source: "source.dlm"'));
      expect(readFileSync(join(u.outDir, 'source.dlm'), 'utf8')).toContain('Some prose.');
      expect(u.nullStatsDir).toBeNull();
      expect(readFileSync(join(u.outDir, 'golden.json'), 'utf8')).toBe('{"probes": []}');
      expect(u.manifest['null_stats_keys']).toEqual([]);
      expect(() => pack(join(dir, 'sway.yaml'), { out: r.outPath })).toThrow(/refusing to overwrite/);
      await expect(unpack(r.outPath, target)).rejects.toThrow(/refusing to overwrite/);
    } finally {
      delete process.env['SWAY_NULL_CACHE_DIR'];
    }
  });

  it('enforces the size cap before writing anything', async () => {
    const { dir } = workspace();
    const out = join(dir, 'big.swaypack.tar.gz');
    const { randomBytes } = await import('node:crypto');
    writeFileSync(join(dir, 'golden.json'), randomBytes(300000));
    expect(() => pack(join(dir, 'sway.yaml'), { out, includeGolden: join(dir, 'golden.json'), maxSizeMb: 0.1, includeNullCache: false })).toThrow(/exceeds the cap/);
    expect(existsSync(out)).toBe(false);
  });

  for (const [label, entry, pattern] of [
    ['a ../ member', { name: 'swaypack/../../evil.txt', data: Buffer.from('x') }, /unsafe path/],
    ['an absolute member', { name: '/tmp/sway-evil-abs.txt', data: Buffer.from('x') }, /unsafe path/],
    ['a symlink member', { name: 'swaypack/link', type: '2', linkname: '/etc/passwd' }, /symbolic link/],
    ['a hard link member', { name: 'swaypack/hard', type: '1', linkname: 'swaypack/sway.yaml' }, /hard link/],
    ['a device member', { name: 'swaypack/dev', type: '3' }, /device/],
    ['a member outside swaypack/', { name: 'other/file.txt', data: Buffer.from('x') }, /outside 'swaypack\/'/],
  ] as const) {
    it(`refuses ${label} and writes nothing`, async () => {
      const f = evil([entry]);
      const target = join(mkdtempSync(join(tmpdir(), 'sway-target-')), 't');
      await expect(unpack(f, target)).rejects.toThrow(pattern);
      expect(existsSync(target)).toBe(false);
      expect(existsSync(join(target, '..', 'evil.txt'))).toBe(false);
      expect(existsSync('/tmp/sway-evil-abs.txt')).toBe(false);
    });
  }

  it('refuses oversize members and unreadable archives', async () => {
    const f = evil([{ name: 'swaypack/big.bin', data: Buffer.alloc(4096) }]);
    await expect(unpack(f, join(tmpdir(), 'never'), { maxMemberBytes: 1024, maxTotalBytes: 1 << 20, maxMembers: 10 })).rejects.toThrow(/over the 1024-byte limit/);
    const junk = join(mkdtempSync(join(tmpdir(), 'sway-junk-')), 'junk.tar.gz');
    writeFileSync(junk, 'not a tarball');
    expectCleanError(await swayIn(['unpack', junk, '-o', join(tmpdir(), 'never2')]));
  });

  it('CLI round trip prints where things went', () => {
    const { dir } = workspace();
    const r = sway(['pack', join(dir, 'sway.yaml'), '-o', join(dir, 'p.swaypack.tar.gz'), '--no-include-null-cache']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*p\.swaypack\.tar\.gz \(\d+\.\d KB\) {2}sections=\d+b {2}null_stats=0 {2}golden=no/);
    const u = sway(['unpack', join(dir, 'p.swaypack.tar.gz'), '-o', join(dir, 'u')]);
    expect(u.code, u.stderr).toBe(0);
    expect(u.stdout).toContain(`spec_path: ${join(dir, 'u', 'swaypack', 'sway.yaml')}`);
  });
});
