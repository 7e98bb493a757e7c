/**
 * swaypacks: a spec, its .dlm source, the null-statistics cache and an optional golden
 * report in one gzip tarball under `swaypack/`, and the safe inverse. Packing checks the
 * size cap before writing and rewrites the spec's paths so it runs from where it is
 * unpacked; unpacking streams the archive (memory stays flat whatever it claims to hold),
 * checks every member at its header and extracts into a staging directory that is
 * renamed into place only when the whole archive was valid.
 */
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createGunzip, gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { SwayError } from '../../core/errors.js';
import { SWAY_VERSION } from '../../core/version.js';
import { nullCacheRoot } from '../../probes/baseline/null-cache.js';
import { loadSpecFile } from '../load.js';
import { selectNullCacheEntries } from './cache-entries.js';
import { portableSpecText } from './spec-paths.js';
import { TarError, TarReader, writeTar, type ReadLimits, type TarEntry, type TarSink } from './tar.js';

export const SWAYPACK_VERSION = 1;

export class PackError extends SwayError {
  constructor(message: string) {
    super(message, 'SWAY_PACK', 2);
  }
}

export interface PackOptions {
  out: string;
  includeGolden?: string;
  includeNullCache?: boolean;
  maxSizeMb?: number;
}

export interface PackReport {
  outPath: string;
  sizeBytes: number;
  sectionBytes: number;
  nullStatsCount: number;
  goldenIncluded: boolean;
}

export function pack(specPath: string, o: PackOptions): PackReport {
  const out = resolve(o.out);
  if (existsSync(out)) throw new PackError(`refusing to overwrite existing pack at ${out} — delete it first`);
  const loaded = loadSpecFile(specPath, { adapterFromStore: false });
  const now = Math.floor(Date.now() / 1000);
  const dlmPacked = loaded.spec.dlm_source !== null && existsSync(loaded.spec.dlm_source);
  const specText = portableSpecText(readFileSync(resolve(specPath), 'utf8'), loaded.spec, loaded.specDir, dlmPacked ? 'source.dlm' : null);
  const entries: TarEntry[] = [{ name: 'swaypack/sway.yaml', data: Buffer.from(specText, 'utf8'), mtime: now }];
  let sectionBytes = 0;
  if (loaded.spec.dlm_source) {
    if (dlmPacked) {
      const dlm = readFileSync(loaded.spec.dlm_source);
      sectionBytes = dlm.byteLength;
      entries.push({ name: 'swaypack/source.dlm', data: dlm, mtime: now });
    } else {
      process.stderr.write(`sway: warning: dlm_source ${loaded.spec.dlm_source} not found; packing without it\n`);
    }
  }
  const keys: string[] = [];
  if (o.includeNullCache !== false) {
    const selected = selectNullCacheEntries(loaded.spec, nullCacheRoot());
    if (selected.note) process.stderr.write(`sway: warning: ${selected.note}\n`);
    for (const { key, data } of selected.files) {
      entries.push({ name: `swaypack/null-stats/${key}.json`, data, mtime: now });
      keys.push(key);
    }
  }
  if (o.includeGolden) {
    const g = resolve(o.includeGolden);
    if (!existsSync(g)) throw new PackError(`--include-golden path does not exist: ${g}`);
    if (!statSync(g).isFile()) throw new PackError(`--include-golden must be a file, got: ${g}`);
    entries.push({ name: 'swaypack/golden.json', data: readFileSync(g), mtime: now });
  }
  const manifest = {
    dlm_source_packed: sectionBytes > 0,
    golden_included: Boolean(o.includeGolden),
    null_stats_count: keys.length,
    null_stats_keys: keys,
    packed_at: new Date(now * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    section_bytes: sectionBytes,
    spec_filename: 'sway.yaml',
    sway_version: SWAY_VERSION,
    swaypack_version: SWAYPACK_VERSION,
  };
  entries.push({ name: 'swaypack/manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), mtime: now });
  const bytes = gzipSync(writeTar(entries));
  const capMb = o.maxSizeMb ?? 50;
  if (bytes.byteLength > capMb * 1024 * 1024) {
    throw new PackError(`pack would be ${(bytes.byteLength / 1024 / 1024).toFixed(1)} MB which exceeds the cap of ${capMb.toFixed(1)} MB. Pass --max-size-mb to override, or --no-include-null-cache.`);
  }
  writeFileAtomic(out, bytes);
  return { outPath: out, sizeBytes: bytes.byteLength, sectionBytes, nullStatsCount: keys.length, goldenIncluded: Boolean(o.includeGolden) };
}

export interface UnpackReport {
  outDir: string;
  specPath: string;
  nullStatsDir: string | null;
  manifest: Record<string, unknown>;
}

export const DEFAULT_UNPACK_LIMITS: ReadLimits = { maxMemberBytes: 256 * 1024 * 1024, maxTotalBytes: 1024 * 1024 * 1024, maxMembers: 10000 };

/** What unpack read, for callers (and tests) that want to see its cost. */
export interface UnpackStats {
  /** Bytes gunzip produced before unpack stopped reading. */
  inflatedBytes: number;
}

/** Where each member may go: everything under one `swaypack/` directory, no name both a file and a directory. */
class MemberLayout {
  private readonly files = new Set<string>();
  private readonly dirs = new Set<string>();

  place(name: string, kind: 'file' | 'dir'): void {
    if (name !== 'swaypack' && !name.startsWith('swaypack/')) throw new TarError(`member '${name}' lies outside 'swaypack/'`);
    if (name === 'swaypack' && kind === 'file') throw new TarError("member 'swaypack' is a file; it must be the directory that holds the pack");
    const segs = name.split('/');
    for (let i = 1; i < segs.length; i++) {
      const ancestor = segs.slice(0, i).join('/');
      if (this.files.has(ancestor)) throw new TarError(`member '${name}' lies inside '${ancestor}', which is a file in the same pack`);
      this.dirs.add(ancestor);
    }
    if (kind === 'dir') {
      if (this.files.has(name)) throw new TarError(`member '${name}' is a directory and also a file in the same pack`);
      this.dirs.add(name);
    } else {
      if (this.dirs.has(name)) throw new TarError(`member '${name}' is a file and also a directory in the same pack`);
      if (this.files.has(name)) throw new TarError(`member '${name}' appears twice`);
      this.files.add(name);
    }
  }
}

/** Streams `packPath` through gunzip and the tar reader into `staging`. */
async function extractInto(packPath: string, staging: string, limits: ReadLimits, stats: UnpackStats): Promise<void> {
  const layout = new MemberLayout();
  let fd: number | null = null;
  const sink: TarSink = {
    dir(name) {
      layout.place(name, 'dir');
      mkdirSync(join(staging, name), { recursive: true });
    },
    file(name) {
      layout.place(name, 'file');
      const dest = join(staging, name);
      mkdirSync(dirname(dest), { recursive: true });
      fd = openSync(dest, 'wx', 0o644);
    },
    data(chunk) {
      let done = 0;
      while (done < chunk.length) done += writeSync(fd!, chunk, done, chunk.length - done);
    },
    end() {
      closeSync(fd!);
      fd = null;
    },
  };
  const reader = new TarReader(limits, sink);
  const input = createReadStream(packPath);
  const gunzip = createGunzip();
  try {
    await new Promise<void>((resolvePromise, reject) => {
      let settled = false;
      const stop = (err?: unknown) => {
        if (settled) return;
        settled = true;
        input.unpipe(gunzip);
        input.destroy();
        gunzip.destroy();
        if (err) reject(err);
        else resolvePromise();
      };
      input.on('error', stop);
      gunzip.on('error', stop);
      gunzip.on('data', (chunk: Buffer) => {
        if (settled) return;
        stats.inflatedBytes += chunk.length;
        try {
          reader.push(chunk);
          if (reader.done) stop();
        } catch (err) {
          stop(err);
        }
      });
      gunzip.on('end', () => {
        try {
          reader.finish();
          stop();
        } catch (err) {
          stop(err);
        }
      });
      input.pipe(gunzip);
    });
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

export async function unpack(packPath: string, targetDir: string, limits: ReadLimits = DEFAULT_UNPACK_LIMITS, stats: UnpackStats = { inflatedBytes: 0 }): Promise<UnpackReport> {
  const p = resolve(packPath);
  if (!existsSync(p)) throw new PackError(`swaypack not found: ${p}`);
  if (!statSync(p).isFile()) throw new PackError(`swaypack must be a file, got: ${p}`);
  const target = resolve(targetDir);
  const outDir = join(target, 'swaypack');
  if (existsSync(outDir)) throw new PackError(`refusing to overwrite existing ${outDir} — delete it or pass --out to a fresh directory`);
  if (existsSync(target) && !statSync(target).isDirectory()) throw new PackError(`--out ${target} is a file; give a directory`);
  const parent = dirname(target);
  const staging = join(parent, `.${basename(target)}.swaypack-${process.pid}-${Date.now()}`);
  try {
    mkdirSync(parent, { recursive: true });
    mkdirSync(staging);
  } catch (err) {
    throw new PackError(`cannot create ${staging} to extract into: ${(err as Error).message}; choose a writable --out`);
  }
  let manifest: Record<string, unknown>;
  let specName: string;
  try {
    try {
      await extractInto(p, staging, limits, stats);
    } catch (err) {
      const why = err instanceof TarError ? err.message : (err as NodeJS.ErrnoException).code === 'Z_DATA_ERROR' || (err as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' ? `not a gzip file or corrupt (${(err as Error).message})` : `${(err as Error).name}: ${(err as Error).message}`;
      throw new PackError(`failed to extract ${p}: ${why}`);
    }
    const staged = join(staging, 'swaypack');
    const manifestPath = join(staged, 'manifest.json');
    if (!existsSync(manifestPath) || !statSync(manifestPath).isFile()) throw new PackError(`${p}: swaypack missing manifest.json`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(manifestPath, 'utf8')) as unknown;
    } catch (err) {
      throw new PackError(`${p}: manifest.json is not valid JSON: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new PackError(`${p}: manifest.json must hold a JSON object at the top level`);
    manifest = parsed as Record<string, unknown>;
    if (manifest['swaypack_version'] !== SWAYPACK_VERSION) {
      throw new PackError(`${p}: unsupported swaypack_version=${String(manifest['swaypack_version'])}. This sway build understands swaypack_version=${SWAYPACK_VERSION}.`);
    }
    specName = typeof manifest['spec_filename'] === 'string' ? manifest['spec_filename'] : 'sway.yaml';
    const specFile = join(staged, specName);
    if (!specFile.startsWith(`${staged}/`) || !existsSync(specFile) || !statSync(specFile).isFile()) throw new PackError(`${p}: manifest claims spec at ${specName} but it's missing from the pack`);
    mkdirSync(target, { recursive: true });
    renameSync(staged, outDir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const nullDir = join(outDir, 'null-stats');
  return { outDir, specPath: join(outDir, specName), nullStatsDir: existsSync(nullDir) ? nullDir : null, manifest };
}
