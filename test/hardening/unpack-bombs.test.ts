import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSpecFile } from '../../src/suite/load.js';
import { pack, PackError, unpack, type UnpackStats } from '../../src/suite/pack/pack.js';
import { writeTar, type TarEntry } from '../../src/suite/pack/tar.js';
import { oneLineError, swayIn } from '../support/cli.js';

const PY_PACK = resolve(import.meta.dirname, '../fixtures/pack/python-tarfile.swaypack.tar.gz');
const SPEC = 'version: 1\nmodels:\n  base: {kind: dummy, base: tiny}\n  ft: {kind: dummy, base: tiny}\nsuite:\n  - {name: dk, kind: delta_kl, prompts: [a]}\n';
const MANIFEST = Buffer.from(JSON.stringify({ swaypack_version: 1, spec_filename: 'sway.yaml' }));
/** gunzip hands on 16 KiB at a time; a refusal at a header must come within a few chunks. */
const FEW_CHUNKS = 64 * 1024;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sway-bombs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const valid = (extra: TarEntry[] = []): TarEntry[] => [{ name: 'swaypack/sway.yaml', data: Buffer.from(SPEC) }, { name: 'swaypack/manifest.json', data: MANIFEST }, ...extra];

/** A tar header for `name` that declares `size` bytes (none of which need follow). */
function headerDeclaring(name: string, size: number, type = '0'): Buffer {
  const h = Buffer.from(writeTar([{ name, type, data: Buffer.alloc(0) }]).subarray(0, 512));
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return `${len}${body}`;
}

function file(name: string, bytes: Buffer): string {
  const f = join(dir, name);
  writeFileSync(f, bytes);
  return f;
}

async function refused(packPath: string, limits?: Parameters<typeof unpack>[2]): Promise<{ error: PackError; stats: UnpackStats; target: string }> {
  const stats: UnpackStats = { inflatedBytes: 0 };
  const target = join(dir, 'out');
  try {
    await unpack(packPath, target, limits, stats);
  } catch (err) {
    if (!(err instanceof PackError)) throw err;
    expect(err.exitCode).toBe(2);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('.swaypack-'))).toEqual([]); // staging removed
    return { error: err, stats, target };
  }
  throw new Error('expected a PackError');
}

describe('unpack streams and refuses bombs at the header (issue 15 item 2)', () => {
  it('a member declaring 300 MB is refused before its data is decompressed', async () => {
    const bomb = file('declares.tar.gz', gzipSync(Buffer.concat([headerDeclaring('swaypack/huge.bin', 300 * 1024 * 1024), Buffer.alloc(4 * 1024 * 1024)])));
    const { error, stats } = await refused(bomb);
    expect(error.message).toBe(`failed to extract ${bomb}: member 'swaypack/huge.bin' is 314572800 bytes, over the 268435456-byte limit`);
    expect(stats.inflatedBytes).toBeLessThanOrEqual(FEW_CHUNKS);
  });

  it('a member over a small limit is refused after a few chunks although 8 MB of its data follow', async () => {
    const tar = writeTar(valid([{ name: 'swaypack/big.bin', data: Buffer.alloc(8 * 1024 * 1024) }]));
    const { error, stats } = await refused(file('big.tar.gz', gzipSync(tar)), { maxMemberBytes: 1024 * 1024, maxTotalBytes: 2 * 1024 * 1024, maxMembers: 10 });
    expect(error.message).toMatch(/member 'swaypack\/big\.bin' is 8388608 bytes, over the 1048576-byte limit$/);
    expect(stats.inflatedBytes).toBeLessThanOrEqual(FEW_CHUNKS);
  });

  it('zeros after the end-of-archive marker are never decompressed', async () => {
    const f = file('trailing.tar.gz', gzipSync(Buffer.concat([writeTar(valid()), Buffer.alloc(16 * 1024 * 1024)])));
    const stats: UnpackStats = { inflatedBytes: 0 };
    const u = await unpack(f, join(dir, 'ok'), undefined, stats);
    expect(readFileSync(u.specPath, 'utf8')).toBe(SPEC);
    expect(stats.inflatedBytes).toBeLessThanOrEqual(FEW_CHUNKS);
  });

  it('a PAX size record of a petabyte is refused at the header', async () => {
    const pax = Buffer.from(paxRecord('size', String(10 ** 15)));
    const tar = Buffer.concat([writeTar([{ name: '././@PaxHeader', type: 'x', data: pax }]).subarray(0, 1024), headerDeclaring('swaypack/x.bin', 1)]);
    const { error } = await refused(file('pax.tar.gz', gzipSync(tar)));
    expect(error.message).toMatch(/member 'swaypack\/x\.bin' is 1000000000000000 bytes, over the/);
  });

  it('junk is one clear line, and the CLI exits 2', async () => {
    const junk = file('junk.tar.gz', Buffer.from('not a tarball at all'));
    expect((await refused(junk)).error.message).toMatch(/^failed to extract .*junk\.tar\.gz: not a gzip file or corrupt/);
    const noise = file('noise.tar.gz', gzipSync(Buffer.alloc(2048, 0x41)));
    expect((await refused(noise)).error.message).toMatch(/corrupt tar header \(checksum mismatch\) after 0 member\(s\)$/);
    const bomb = file('declares2.tar.gz', gzipSync(headerDeclaring('swaypack/huge.bin', 300 * 1024 * 1024)));
    expect(oneLineError(await swayIn(['unpack', bomb, '-o', join(dir, 'cli')]))).toContain("member 'swaypack/huge.bin' is 314572800 bytes");
  });
});

describe('malformed packs are exit 2 naming the pack (item 5)', () => {
  it.each([
    ['a file with a member inside it', [{ name: 'swaypack/a', data: Buffer.from('x') }, { name: 'swaypack/a/b', data: Buffer.from('y') }], "member 'swaypack/a/b' lies inside 'swaypack/a', which is a file in the same pack"],
    ["a member 'swaypack' that is a file", [{ name: 'swaypack', data: Buffer.from('x') }], "member 'swaypack' is a file; it must be the directory that holds the pack"],
    ['a directory that is also a file', [{ name: 'swaypack/d', type: '5' }, { name: 'swaypack/d', data: Buffer.from('x') }], "member 'swaypack/d' is a file and also a directory in the same pack"],
    ['a member twice', [{ name: 'swaypack/n', data: Buffer.from('1') }, { name: 'swaypack/n', data: Buffer.from('2') }], "member 'swaypack/n' appears twice"],
  ] as [string, TarEntry[], string][])('%s', async (_label, entries, message) => {
    const f = file('bad.tar.gz', gzipSync(writeTar([...entries, ...valid()])));
    expect((await refused(f)).error.message).toBe(`failed to extract ${f}: ${message}`);
  });
});

describe('unusable --out targets are exit 2', () => {
  it('a file, or a folder under a file', async () => {
    const f = file('ok.tar.gz', gzipSync(writeTar(valid())));
    const plain = file('plain', Buffer.from('x'));
    await expect(unpack(f, plain)).rejects.toThrow(new PackError(`--out ${plain} is a file; give a directory`));
    const err = await unpack(f, join(plain, 'sub')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PackError);
    expect((err as PackError).message).toMatch(/^cannot create .*plain\/\.sub\.swaypack-\d+-\d+ to extract into: .*; choose a writable --out$/);
  });
});

describe('packs across machines and tools (item 21)', () => {
  it("reads a pack written with Python's tarfile defaults (././@PaxHeader records, non-ASCII names)", async () => {
    const u = await unpack(PY_PACK, join(dir, 'py'));
    expect(readdirSync(u.outDir).sort()).toEqual(['manifest.json', 'notes-été.txt', 'null-stats', 'sway.yaml']);
    expect(readFileSync(join(u.outDir, 'null-stats', 'k.json'), 'utf8')).toBe('{"format": 1}');
    expect(loadSpecFile(u.specPath).probes.map((p) => p.spec.name)).toEqual(['dk']);
  });

  it('PAX headers do not open a way around the path and link checks', async () => {
    const escape = Buffer.concat([writeTar([{ name: '././@PaxHeader', type: 'x', data: Buffer.from(paxRecord('path', 'swaypack/../../evil.txt')) }]).subarray(0, 1024), writeTar(valid()).subarray(0, 1024)]);
    expect((await refused(file('esc.tar.gz', gzipSync(Buffer.concat([escape, Buffer.alloc(1024)]))))).error.message).toContain("member 'swaypack/../../evil.txt' has an unsafe path (a '..' segment)");
    const link = writeTar([{ name: '././@PaxHeader', type: 'x', data: Buffer.from(paxRecord('linkpath', '/etc/passwd')) }, { name: 'swaypack/l', type: '2', linkname: 'x' }]);
    expect((await refused(file('link.tar.gz', gzipSync(link)))).error.message).toContain('is a symbolic link; links are refused');
  });

  it('relative model, adapter and dlm paths still resolve after unpacking elsewhere', async () => {
    const project = join(dir, 'project');
    for (const d of ['models/base', 'runs/adapter', 'runs/store']) mkdirSync(join(project, d), { recursive: true });
    writeFileSync(join(project, 'doc.dlm'), '---\ntitle: t\n---\nSome prose.\n');
    writeFileSync(
      join(project, 'sway.yaml'),
      '# my suite\nversion: 1\nmodels:\n  base: {kind: hf, base: ./models/base}\n  ft: {kind: hf, base: ./models/base, adapter: runs/adapter}  # trained today\ndlm_source: doc.dlm\nsuite:\n  - {name: tr, kind: training_drift, store_path: runs/store}\n',
    );
    const r = pack(join(project, 'sway.yaml'), { out: join(dir, 'p.swaypack.tar.gz'), includeNullCache: false });
    const u = await unpack(r.outPath, join(dir, 'elsewhere'));
    const text = readFileSync(u.specPath, 'utf8');
    expect(text).toContain('# my suite\n');
    expect(text).toContain('  # trained today\n');
    const loaded = loadSpecFile(u.specPath);
    expect(loaded.spec.models.base.base).toBe(join(project, 'models/base'));
    expect(loaded.spec.models.ft.adapter).toBe(join(project, 'runs/adapter'));
    expect(loaded.spec.dlm_source).toBe(join(u.outDir, 'source.dlm'));
    expect(loaded.probes[0]!.spec).toMatchObject({ store_path: join(project, 'runs/store') });
  });
});
