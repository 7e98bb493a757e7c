/**
 * `.swaypack.tar.gz`: a portable bundle of a suite (spec, .dlm source, null-stats cache,
 * golden report) and its safe extraction. Extraction accepts only regular files and
 * directories under `swaypack/`, refuses absolute paths, `..`, links, special files and
 * oversize members, and writes nothing unless the whole archive passed those checks.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SwayError } from '../../core/errors.js';
import { SWAY_VERSION } from '../../core/version.js';
import { loadSpecFile } from '../loader.js';
import { readTar, writeTar } from './ustar.js';

export const SWAYPACK_VERSION = 1;
const ROOT = 'swaypack';
/** Per-member and total unpacked limits (a gzip bomb stops here). */
const MAX_MEMBER_BYTES = 256 * 1024 * 1024;
const MAX_TOTAL_BYTES = 1024 * 1024 * 1024;

export class PackError extends SwayError {
  constructor(message: string) {
    super(message, 'SWAY_PACK', 2);
  }
}

export function nullCacheDir(env = process.env): string {
  if (env['SWAY_NULL_CACHE_DIR']) return env['SWAY_NULL_CACHE_DIR'];
  if (env['XDG_CACHE_HOME']) return join(env['XDG_CACHE_HOME'], 'dlm-sway', 'null-stats');
  return join(homedir(), '.dlm-sway', 'null-stats');
}

export interface PackOptions {
  out: string;
  includeGolden?: string;
  includeNullCache?: boolean;
  maxSizeMb?: number;
  warn?: (line: string) => void;
}

export interface PackReport {
  outPath: string;
  sizeBytes: number;
  sectionBytes: number;
  nullStatsCount: number;
  goldenIncluded: boolean;
}

const enc = new TextEncoder();

export async function packSuite(specPath: string, opts: PackOptions): Promise<PackReport> {
  const specAbs = resolve(specPath);
  const out = resolve(opts.out);
  if (existsSync(out)) throw new PackError(`refusing to overwrite existing pack at ${out} — delete it first`);
  const spec = await loadSpecFile(specAbs);
  const files: { name: string; data: Uint8Array }[] = [{ name: `${ROOT}/sway.yaml`, data: readFileSync(specAbs) }];
  let sectionBytes = 0;
  if (spec.dlm_source) {
    if (existsSync(spec.dlm_source) && statSync(spec.dlm_source).isFile()) {
      const data = readFileSync(spec.dlm_source);
      sectionBytes = data.length;
      files.push({ name: `${ROOT}/source.dlm`, data });
    } else {
      (opts.warn ?? ((l) => process.stderr.write(`${l}\n`)))(`warning: dlm_source '${spec.dlm_source}' not found — packing without it`);
    }
  }
  const nullKeys: string[] = [];
  if (opts.includeNullCache !== false) {
    const dir = nullCacheDir();
    if (existsSync(dir)) {
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
        const p = join(dir, f);
        if (!statSync(p).isFile()) continue;
        files.push({ name: `${ROOT}/null-stats/${f}`, data: readFileSync(p) });
        nullKeys.push(f.replace(/\.json$/, ''));
      }
    }
  }
  let golden = false;
  if (opts.includeGolden) {
    const g = resolve(opts.includeGolden);
    if (!existsSync(g)) throw new PackError(`--include-golden path does not exist: ${g}`);
    if (!statSync(g).isFile()) throw new PackError(`--include-golden must be a file, got: ${g}`);
    files.push({ name: `${ROOT}/golden.json`, data: readFileSync(g) });
    golden = true;
  }
  const manifest = {
    dlm_source_packed: sectionBytes > 0,
    golden_included: golden,
    null_stats_count: nullKeys.length,
    null_stats_keys: nullKeys,
    packed_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    section_bytes: sectionBytes,
    spec_filename: 'sway.yaml',
    sway_version: SWAY_VERSION,
    swaypack_version: SWAYPACK_VERSION,
  };
  files.push({ name: `${ROOT}/manifest.json`, data: enc.encode(`${JSON.stringify(manifest, null, 2)}\n`) });
  const gz = gzipSync(writeTar(files, [ROOT]));
  const capMb = opts.maxSizeMb ?? 50;
  if (gz.length > capMb * 1024 * 1024) {
    throw new PackError(
      `pack would be ${(gz.length / 1024 / 1024).toFixed(1)} MB which exceeds the cap of ${capMb.toFixed(1)} MB. Pass --max-size-mb to override, or use --no-include-null-cache.`,
    );
  }
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, gz);
  renameSync(tmp, out);
  return { outPath: out, sizeBytes: gz.length, sectionBytes, nullStatsCount: nullKeys.length, goldenIncluded: golden };
}

export interface UnpackReport {
  outDir: string;
  specPath: string;
  nullStatsDir: string | null;
  manifest: Record<string, unknown>;
}

/** Checks one member name; returns the safe relative path or throws. */
function safeMemberPath(name: string, type: string, linkname: string): string | null {
  if (type === '1' || type === '2') throw new PackError(`refusing link member '${name}' -> '${linkname}' — a swaypack holds only regular files`);
  if (type !== '0' && type !== '\0' && type !== '5') throw new PackError(`refusing special member '${name}' (tar type '${type}')`);
  if (name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name) || isAbsolute(name)) throw new PackError(`refusing absolute path member '${name}'`);
  const parts = name.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new PackError(`refusing member '${name}' — '..' would escape the target directory`);
  if (parts.length === 0) return null;
  if (parts[0] !== ROOT) throw new PackError(`refusing member '${name}' outside the '${ROOT}/' directory`);
  if (name.includes('\0')) throw new PackError(`refusing member with a NUL byte in its name`);
  return parts.join('/');
}

export function unpackSuite(packPath: string, outDir = process.cwd()): UnpackReport {
  const pack = resolve(packPath);
  if (!existsSync(pack)) throw new PackError(`swaypack not found: ${pack}`);
  if (!statSync(pack).isFile()) throw new PackError(`swaypack must be a file, got: ${pack}`);
  const target = resolve(outDir);
  const root = join(target, ROOT);
  if (existsSync(root)) throw new PackError(`refusing to overwrite existing ${root} — delete it or pass --out to a fresh directory`);
  let entries;
  try {
    const tar = gunzipSync(readFileSync(pack), { maxOutputLength: MAX_TOTAL_BYTES });
    entries = readTar(tar, MAX_MEMBER_BYTES);
  } catch (err) {
    throw new PackError(`failed to extract ${pack}: ${(err as Error).name}: ${(err as Error).message}`);
  }
  // Validate everything before writing anything.
  const plan: { rel: string; dir: boolean; data: Uint8Array }[] = [];
  for (const e of entries) {
    const rel = safeMemberPath(e.name, e.type, e.linkname);
    if (rel === null) continue;
    const dest = resolve(target, rel);
    if (!dest.startsWith(root + sep) && dest !== root) throw new PackError(`refusing member '${e.name}' — it resolves outside ${root}`);
    plan.push({ rel, dir: e.type === '5', data: e.data });
  }
  const manifestEntry = plan.find((p) => p.rel === `${ROOT}/manifest.json` && !p.dir);
  if (!plan.some((p) => p.rel.startsWith(`${ROOT}/`) || p.rel === ROOT)) {
    throw new PackError(`swaypack extracted but missing the expected '${ROOT}/' directory; was it written by sway pack?`);
  }
  if (!manifestEntry) throw new PackError(`swaypack missing manifest.json (looked at ${join(root, 'manifest.json')})`);
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(new TextDecoder().decode(manifestEntry.data)) as Record<string, unknown>;
  } catch (err) {
    throw new PackError(`manifest.json is not valid JSON: ${(err as Error).message}`);
  }
  if (manifest['swaypack_version'] !== SWAYPACK_VERSION) {
    throw new PackError(`unsupported swaypack_version=${String(manifest['swaypack_version'])}. This sway build understands swaypack_version=1.`);
  }
  const specName = typeof manifest['spec_filename'] === 'string' ? manifest['spec_filename'] : 'sway.yaml';
  if (basename(specName) !== specName || !plan.some((p) => p.rel === `${ROOT}/${specName}` && !p.dir)) {
    throw new PackError(`manifest claims spec at ${specName} but it's missing from the pack`);
  }
  // Extract into a staging directory, then move it into place in one rename.
  mkdirSync(target, { recursive: true });
  const staging = join(target, `.${ROOT}.${process.pid}.tmp`);
  rmSync(staging, { recursive: true, force: true });
  try {
    for (const p of plan) {
      const dest = join(staging, relative(ROOT, p.rel));
      if (p.dir) mkdirSync(dest, { recursive: true });
      else {
        mkdirSync(dirname(dest), { recursive: true });
        writeFileSync(dest, p.data, { mode: 0o644, flag: 'wx' });
      }
    }
    mkdirSync(staging, { recursive: true });
    renameSync(staging, root);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw new PackError(`failed to extract ${pack}: ${(err as Error).message}`);
  }
  const nsd = join(root, 'null-stats');
  return { outDir: root, specPath: join(root, specName), nullStatsDir: existsSync(nsd) ? nsd : null, manifest };
}
