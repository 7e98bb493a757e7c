import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AdapterError, ModelError } from '../../../src/core/errors.js';
import { hubCacheDir, readAdapterBaseModel, resolveBaseFromAdapter, resolveModelDir } from '../../../src/engine/resolve.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'sway-hub-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const SHA_MAIN = 'a'.repeat(40);
const SHA_OLD = 'b'.repeat(40);

/** A cache tree as huggingface_hub writes it: blobs + relative symlinks in snapshots + refs. */
function fabricate(cache: string): void {
  const repo = path.join(cache, 'models--org--tiny');
  mkdirSync(path.join(repo, 'blobs'), { recursive: true });
  mkdirSync(path.join(repo, 'refs'), { recursive: true });
  writeFileSync(path.join(repo, 'blobs', 'etag1'), '{"model_type":"llama"}');
  writeFileSync(path.join(repo, 'blobs', 'etag2'), '{"model_type":"qwen2"}');
  for (const [sha, blob] of [[SHA_MAIN, 'etag1'], [SHA_OLD, 'etag2']] as const) {
    mkdirSync(path.join(repo, 'snapshots', sha), { recursive: true });
    symlinkSync(`../../blobs/${blob}`, path.join(repo, 'snapshots', sha, 'config.json'));
  }
  writeFileSync(path.join(repo, 'refs', 'main'), SHA_MAIN);
  mkdirSync(path.join(repo, 'refs', 'pr'), { recursive: true });
  writeFileSync(path.join(repo, 'refs', 'pr', '1'), SHA_OLD);
}

const cache = path.join(root, 'hub');
fabricate(cache);
const env = { HF_HUB_CACHE: cache };

describe('hub cache location', () => {
  it('follows HF precedence', () => {
    expect(hubCacheDir({ HF_HUB_CACHE: '/x', HF_HOME: '/y' })).toBe('/x');
    expect(hubCacheDir({ HF_HOME: '/y' })).toBe(path.join('/y', 'hub'));
    expect(hubCacheDir({ XDG_CACHE_HOME: '/z' })).toBe(path.join('/z', 'huggingface', 'hub'));
    expect(hubCacheDir({})).toBe(path.join(os.homedir(), '.cache', 'huggingface', 'hub'));
  });
});

describe('resolveModelDir', () => {
  it('uses a local directory as is', () => {
    const r = resolveModelDir(root, { env });
    expect(r).toMatchObject({ dir: root, source: 'local' });
  });
  it('resolves refs/main to the snapshot', () => {
    const r = resolveModelDir('org/tiny', { env });
    expect(r.dir).toBe(path.join(cache, 'models--org--tiny', 'snapshots', SHA_MAIN));
    expect(r).toMatchObject({ source: 'hf-cache', repoId: 'org/tiny', revision: 'main' });
  });
  it('resolves a named revision, a nested ref and a sha', () => {
    expect(resolveModelDir('org/tiny@pr/1', { env }).dir).toContain(SHA_OLD);
    expect(resolveModelDir(`org/tiny@${SHA_OLD}`, { env }).dir).toContain(SHA_OLD);
  });
  it('resolves through HF_HOME', () => {
    expect(resolveModelDir('org/tiny', { env: { HF_HOME: root } }).dir).toContain(SHA_MAIN);
  });
  it('falls back to a single snapshot with a warning when refs/main is missing', () => {
    const c2 = path.join(root, 'hub2');
    mkdirSync(path.join(c2, 'models--org--solo', 'snapshots', SHA_OLD), { recursive: true });
    const r = resolveModelDir('org/solo', { env: { HF_HUB_CACHE: c2 } });
    expect(r.dir).toContain(SHA_OLD);
    expect(r.warnings[0]).toContain('only snapshot');
  });
  it('names every place it looked when the model is missing', () => {
    let err: unknown;
    try {
      resolveModelDir('org/absent', { env });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelError);
    const e = err as ModelError;
    expect(e.code).toBe('SWAY_MODEL_NOT_FOUND');
    expect(e.message).toContain(path.resolve('org/absent'));
    expect(e.message).toContain(path.join(cache, 'models--org--absent', 'refs', 'main'));
    expect(e.message).toContain('huggingface-cli download org/absent');
  });
  it('reports a missing revision', () => {
    expect(() => resolveModelDir('org/tiny@v9', { env })).toThrow(/refs\/v9.*--revision v9/);
  });
  it('refuses a snapshot whose weight link dangles, and only warns for other files', () => {
    const c3 = path.join(root, 'hub3');
    const snap = path.join(c3, 'models--org--partial', 'snapshots', SHA_MAIN);
    mkdirSync(snap, { recursive: true });
    mkdirSync(path.join(c3, 'models--org--partial', 'refs'), { recursive: true });
    writeFileSync(path.join(c3, 'models--org--partial', 'refs', 'main'), SHA_MAIN);
    symlinkSync('../../blobs/gone-readme', path.join(snap, 'README.md'));
    const ok = resolveModelDir('org/partial', { env: { HF_HUB_CACHE: c3 } });
    expect(ok.warnings).toHaveLength(1);
    expect(ok.warnings[0]).toContain('README.md');
    symlinkSync('../../blobs/gone-weights', path.join(snap, 'model.safetensors'));
    let err: unknown;
    try {
      resolveModelDir('org/partial', { env: { HF_HUB_CACHE: c3 } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).code).toBe('SWAY_MODEL_INVALID');
    expect((err as ModelError).message).toContain(path.join(snap, 'model.safetensors'));
    expect((err as ModelError).message).toContain(path.join(c3, 'models--org--partial', 'blobs', 'gone-weights'));
    expect((err as ModelError).message).toContain('huggingface-cli download org/partial');
  });
  it('uses AdapterError for adapters', () => {
    expect(() => resolveModelDir('org/absent-adapter', { env, kind: 'adapter' })).toThrow(AdapterError);
  });
});

describe('adapter base model', () => {
  it('reads base_model_name_or_path and resolves it relative to the adapter', () => {
    const adapter = path.join(root, 'adapters', 'a1');
    mkdirSync(adapter, { recursive: true });
    mkdirSync(path.join(root, 'base'), { recursive: true });
    writeFileSync(path.join(adapter, 'adapter_config.json'), JSON.stringify({ base_model_name_or_path: '../../base' }));
    expect(readAdapterBaseModel(adapter)).toBe('../../base');
    expect(resolveBaseFromAdapter(adapter, { env }).dir).toBe(path.join(root, 'base'));
    writeFileSync(path.join(adapter, 'adapter_config.json'), JSON.stringify({ base_model_name_or_path: 'org/tiny' }));
    expect(resolveBaseFromAdapter(adapter, { env }).dir).toContain(SHA_MAIN);
    writeFileSync(path.join(adapter, 'adapter_config.json'), JSON.stringify({ r: 8 }));
    expect(() => resolveBaseFromAdapter(adapter, { env })).toThrow(/base_model_name_or_path.*missing/);
    expect(() => readAdapterBaseModel(path.join(root, 'nowhere'))).toThrow(/adapter_config\.json not found/);
  });
});
