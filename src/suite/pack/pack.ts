/**
 * swaypacks: a spec, its .dlm source, the null-statistics cache and an optional golden
 * report in one gzip tarball under `swaypack/`, and the safe inverse. Packing checks the
 * size cap before writing; unpacking validates every member before writing any and
 * extracts into a staging directory that is renamed into place.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { SwayError } from '../../core/errors.js';
import { SWAY_VERSION } from '../../core/version.js';
import { loadSpecFile } from '../load.js';
import { readTar, TarError, writeTar, type TarEntry } from './tar.js';

export const SWAYPACK_VERSION = 1;

export class PackError extends SwayError {
  constructor(message: string) {
    super(message, 'SWAY_PACK', 2);
  }
}

function defaultNullCacheDir(): string {
  const xdg = process.env['XDG_CACHE_HOME'];
  return process.env['SWAY_NULL_CACHE_DIR'] || (xdg ? join(xdg, 'dlm-sway', 'null-stats') : join(homedir(), '.dlm-sway', 'null-stats'));
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
  const entries: TarEntry[] = [{ name: 'swaypack/sway.yaml', data: readFileSync(resolve(specPath)), mtime: now }];
  let sectionBytes = 0;
  if (loaded.spec.dlm_source) {
    if (existsSync(loaded.spec.dlm_source)) {
      const dlm = readFileSync(loaded.spec.dlm_source);
      sectionBytes = dlm.byteLength;
      entries.push({ name: 'swaypack/source.dlm', data: dlm, mtime: now });
    } else {
      process.stderr.write(`sway: warning: dlm_source ${loaded.spec.dlm_source} not found; packing without it\n`);
    }
  }
  const keys: string[] = [];
  if (o.includeNullCache !== false) {
    const dir = defaultNullCacheDir();
    if (existsSync(dir)) {
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
        entries.push({ name: `swaypack/null-stats/${f}`, data: readFileSync(join(dir, f)), mtime: now });
        keys.push(f.replace(/\.json$/, ''));
      }
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

export function unpack(packPath: string, targetDir: string, limits = { maxMemberBytes: 256 * 1024 * 1024, maxTotalBytes: 1024 * 1024 * 1024, maxMembers: 10000 }): UnpackReport {
  const p = resolve(packPath);
  if (!existsSync(p)) throw new PackError(`swaypack not found: ${p}`);
  if (!statSync(p).isFile()) throw new PackError(`swaypack must be a file, got: ${p}`);
  const target = resolve(targetDir);
  const outDir = join(target, 'swaypack');
  if (existsSync(outDir)) throw new PackError(`refusing to overwrite existing ${outDir} — delete it or pass --out to a fresh directory`);
  let members;
  try {
    members = readTar(gunzipSync(readFileSync(p), { maxOutputLength: limits.maxTotalBytes + 1024 * 1024 }), limits);
  } catch (err) {
    const why = err instanceof TarError ? err.message : `${(err as Error).name}: ${(err as Error).message}`;
    throw new PackError(`failed to extract ${p}: ${why}`);
  }
  const outside = members.find((m) => m.name !== 'swaypack' && !m.name.startsWith('swaypack/'));
  if (outside) throw new PackError(`failed to extract ${p}: member '${outside.name}' lies outside 'swaypack/'`);
  const manifestMember = members.find((m) => m.name === 'swaypack/manifest.json');
  if (!manifestMember) throw new PackError(`swaypack missing manifest.json (looked at ${join(outDir, 'manifest.json')})`);
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(manifestMember.data.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new PackError(`manifest.json is not valid JSON: ${(err as Error).message}`);
  }
  if (manifest['swaypack_version'] !== SWAYPACK_VERSION) {
    throw new PackError(`unsupported swaypack_version=${String(manifest['swaypack_version'])}. This sway build understands swaypack_version=${SWAYPACK_VERSION}.`);
  }
  const specName = typeof manifest['spec_filename'] === 'string' ? manifest['spec_filename'] : 'sway.yaml';
  if (!members.some((m) => m.name === `swaypack/${specName}`)) throw new PackError(`manifest claims spec at ${specName} but it's missing from the pack`);
  mkdirSync(target, { recursive: true });
  const staging = join(target, `.swaypack-${process.pid}-${Date.now()}`);
  try {
    for (const m of members) {
      const dest = join(staging, m.name);
      if (!dest.startsWith(`${staging}/`)) throw new PackError(`member '${m.name}' escapes the target`);
      if (m.type === 'dir') mkdirSync(dest, { recursive: true });
      else {
        mkdirSync(dirname(dest), { recursive: true });
        writeFileSync(dest, m.data, { mode: 0o644 });
      }
    }
    renameSync(join(staging, 'swaypack'), outDir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const nullDir = join(outDir, 'null-stats');
  return { outDir, specPath: join(outDir, basename(specName)), nullStatsDir: existsSync(nullDir) ? nullDir : null, manifest };
}
