import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { PackError, unpackSuite } from '../../src/suite/pack/pack.js';
import { readTar, writeTar } from '../../src/suite/pack/ustar.js';

const enc = new TextEncoder();
const manifest = enc.encode(JSON.stringify({ swaypack_version: 1, spec_filename: 'sway.yaml' }));
const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'sway-unpack-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A tar whose member `i` gets a raw type flag / linkname patched into its header. */
function evilTar(members: { name: string; type?: string; link?: string; data?: string }[]): Uint8Array {
  const tar = writeTar(members.map((m) => ({ name: m.name, data: enc.encode(m.data ?? 'x') })));
  let off = 0;
  for (const m of members) {
    const size = enc.encode(m.data ?? 'x').length;
    if (m.type || m.link) {
      if (m.type) tar[off + 156] = m.type.charCodeAt(0);
      if (m.link) tar.set(enc.encode(m.link), off + 157);
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (tar[off + i] as number);
      tar.set(enc.encode(`${sum.toString(8).padStart(6, '0')}\0 `), off + 148);
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return tar;
}

function writePack(dir: string, tar: Uint8Array): string {
  const p = join(dir, 'x.swaypack.tar.gz');
  writeFileSync(p, gzipSync(tar));
  return p;
}

const good = [
  { name: 'swaypack/sway.yaml', data: 'version: 1\n' },
  { name: 'swaypack/manifest.json', data: new TextDecoder().decode(manifest) },
];

describe('unpack', () => {
  it('extracts a well-formed pack', () => {
    const d = tmp();
    const r = unpackSuite(writePack(d, evilTar(good)), join(d, 'out'));
    expect(readFileSync(r.specPath, 'utf8')).toBe('version: 1\n');
    expect(r.nullStatsDir).toBeNull();
  });

  for (const [label, member] of [
    ['../evil', { name: '../evil', data: 'pwned' }],
    ['nested ..', { name: 'swaypack/../../evil', data: 'pwned' }],
    ['absolute path', { name: '/tmp/sway-evil-abs', data: 'pwned' }],
    ['symlink', { name: 'swaypack/link', type: '2', link: '/etc/passwd' }],
    ['hard link', { name: 'swaypack/hard', type: '1', link: '/etc/passwd' }],
    ['device', { name: 'swaypack/dev', type: '3' }],
    ['outside swaypack/', { name: 'other/file', data: 'x' }],
  ] as const) {
    it(`refuses ${label} and writes nothing`, () => {
      const d = tmp();
      const out = join(d, 'out');
      const pack = writePack(d, evilTar([good[0] as never, member as never, good[1] as never]));
      expect(() => unpackSuite(pack, out)).toThrow(PackError);
      expect(existsSync(join(out, 'swaypack'))).toBe(false);
      expect(existsSync(join(d, 'evil'))).toBe(false);
      expect(existsSync('/tmp/sway-evil-abs')).toBe(false);
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    });
  }

  it('refuses oversize members, missing manifest, wrong version and overwrite', () => {
    const d = tmp();
    expect(() => readTar(writeTar([{ name: 'a', data: new Uint8Array(2000) }]), 1000)).toThrow(/exceeds/);
    expect(() => unpackSuite(writePack(d, evilTar([good[0] as never])), join(d, 'o1'))).toThrow(/missing manifest.json/);
    const v2 = evilTar([good[0] as never, { name: 'swaypack/manifest.json', data: '{"swaypack_version": 2}' }]);
    expect(() => unpackSuite(writePack(d, v2), join(d, 'o2'))).toThrow(/unsupported swaypack_version=2/);
    const p = writePack(d, evilTar(good));
    unpackSuite(p, join(d, 'o3'));
    expect(() => unpackSuite(p, join(d, 'o3'))).toThrow(/refusing to overwrite/);
    writeFileSync(join(d, 'junk.tar.gz'), 'not gzip');
    expect(() => unpackSuite(join(d, 'junk.tar.gz'), join(d, 'o4'))).toThrow(/failed to extract/);
  });
});
