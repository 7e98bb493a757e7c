/**
 * Warm start: the first load stores the graph, its produced weights and a hard link to the
 * checkpoint, the next loads of the same plan come from it with the same logits; a corrupt entry is ignored and rebuilt; the
 * cache can be turned off. Counts loads and hits, never times.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { defaultCacheDir, findEntry, stagingDir } from '../../src/engine/session-cache.js';
import { tinyFixtures } from '../support/fixtures.js';

const TEXT = 'The capital of France is Rome. Once upon a time';

async function loadAndRun(cacheDir: string | null, adapter: string): Promise<{ cache: string; logits: number[] }> {
  const fx = tinyFixtures('llama');
  const engine = await Engine.load({ base: fx.base, adapter, threads: 1, cacheDir });
  try {
    const ids = engine.encode(TEXT);
    const logits = [...(await engine.fullLogits({ kind: 'ft' }, ids)), ...(await engine.fullLogits({ kind: 'null', seed: 2 }, ids))];
    return { cache: engine.stats.sessionCache, logits };
  } finally {
    await engine.close();
  }
}

describe('warm-start session cache', () => {
  const root = mkdtempSync(join(tmpdir(), 'sway-engine-cache-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const fx = tinyFixtures('llama');

  it('stores on the first load, hits on the next with identical logits', async () => {
    const dir = join(root, 'a');
    const first = await loadAndRun(dir, fx.trained);
    expect(first.cache).toBe('stored');
    const entries = readdirSync(dir);
    expect(entries).toHaveLength(1);
    const entry = join(dir, entries[0]!);
    expect(readdirSync(entry).sort()).toEqual(['meta.json', 'model.onnx', 'source-0-model.safetensors', 'sources.json', 'sway-weights.bin']);
    // The checkpoint's tensors are used where they sit (a hard link, the same inode), not written again.
    expect(statSync(join(entry, 'source-0-model.safetensors')).ino).toBe(statSync(join(fx.base, 'model.safetensors')).ino);
    expect(statSync(join(entry, 'sway-weights.bin')).size).toBeLessThan(statSync(join(fx.base, 'model.safetensors')).size / 2);
    const second = await loadAndRun(dir, fx.trained);
    expect(second.cache).toBe('hit');
    expect(second.logits).toEqual(first.logits);
  });

  it('links the file behind a symbolic link (a Hugging Face cache snapshot) and loads from it', async () => {
    // snapshots/main/model.safetensors -> ../../blobs/<hash>, the hub cache's layout.
    const hub = mkdtempSync(join(tmpdir(), 'sway-cache-hub-'));
    const snapshot = join(hub, 'snapshots', 'main');
    mkdirSync(join(hub, 'blobs'), { recursive: true });
    cpSync(fx.base, snapshot, { recursive: true });
    renameSync(join(snapshot, 'model.safetensors'), join(hub, 'blobs', 'abc123'));
    symlinkSync('../../blobs/abc123', join(snapshot, 'model.safetensors'));
    const dir = join(root, 'hub');
    const run = async () => {
      const engine = await Engine.load({ base: snapshot, threads: 1, cacheDir: dir });
      const out = { cache: engine.stats.sessionCache, logits: Array.from(await engine.fullLogits({ kind: 'base' }, engine.encode(TEXT))) };
      await engine.close();
      return out;
    };
    const first = await run();
    expect(first.cache).toBe('stored');
    const entry = join(dir, readdirSync(dir)[0]!);
    expect(lstatSync(join(entry, 'source-0-abc123')).isSymbolicLink()).toBe(false);
    expect(statSync(join(entry, 'source-0-abc123')).ino).toBe(statSync(join(hub, 'blobs', 'abc123')).ino);
    const second = await run();
    expect(second.cache).toBe('hit');
    expect(second.logits).toEqual(first.logits);
    rmSync(hub, { recursive: true, force: true });
  });

  it('rebuilds an entry whose checkpoint file changed since it was stored', async () => {
    const base = mkdtempSync(join(tmpdir(), 'sway-cache-base-'));
    cpSync(fx.base, base, { recursive: true });
    const dir = join(root, 'changed');
    const load = async () => {
      const engine = await Engine.load({ base, threads: 1, cacheDir: dir });
      const out = { cache: engine.stats.sessionCache, logits: Array.from(await engine.fullLogits({ kind: 'base' }, engine.encode(TEXT))) };
      await engine.close();
      return out;
    };
    const first = await load();
    expect(first.cache).toBe('stored');
    expect((await load()).cache).toBe('hit');
    // Same bytes, new mtime: the entry no longer vouches for the file.
    const file = join(base, 'model.safetensors');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const again = await load();
    expect(again.cache).toBe('stored');
    expect(again.logits).toEqual(first.logits);
    rmSync(base, { recursive: true, force: true });
  });

  it('keys on the plan: another adapter layout is another entry', async () => {
    const dir = join(root, 'b');
    expect((await loadAndRun(dir, fx.trained)).cache).toBe('stored');
    const saved = await loadAndRun(dir, fx.modulesToSave);
    expect(saved.cache).toBe('stored');
    expect(readdirSync(dir)).toHaveLength(2);
    const again = await loadAndRun(dir, fx.modulesToSave);
    expect(again.cache).toBe('hit');
    expect(again.logits).toEqual(saved.logits);
  });

  it('ignores and rebuilds a corrupt entry', async () => {
    const dir = join(root, 'c');
    const first = await loadAndRun(dir, fx.trained);
    const entry = join(dir, readdirSync(dir)[0]!);
    writeFileSync(join(entry, 'model.onnx'), 'not a model');
    const rebuilt = await loadAndRun(dir, fx.trained);
    expect(rebuilt.cache).toBe('stored');
    expect(rebuilt.logits).toEqual(first.logits);
    writeFileSync(join(entry, 'meta.json'), '{');
    expect((await loadAndRun(dir, fx.trained)).cache).toBe('stored');
    expect((await loadAndRun(dir, fx.trained)).cache).toBe('hit');
  });

  it('is off with cacheDir null or SWAY_ENGINE_CACHE=off', async () => {
    expect((await loadAndRun(null, fx.trained)).cache).toBe('off');
    expect(defaultCacheDir({ SWAY_ENGINE_CACHE: 'off', XDG_CACHE_HOME: root })).toBeNull();
    expect(defaultCacheDir({ XDG_CACHE_HOME: root })).toBe(join(root, 'sway', 'engine'));
    expect(defaultCacheDir({ SWAY_ENGINE_CACHE_DIR: join(root, 'x') })).toBe(join(root, 'x'));
    expect(existsSync(join(root, 'sway'))).toBe(false);
  });

  it('a detached child process commits a staged entry (the command does not wait for the disk)', async () => {
    const committer = fileURLToPath(new URL('../../dist/src/engine/cache-commit.js', import.meta.url));
    expect(existsSync(committer), 'npm test builds dist/ first').toBe(true);
    // A real entry's files, staged again under a new key as a command would leave them.
    const src = join(root, 'detached-src');
    await loadAndRun(src, fx.trained);
    const [stored] = readdirSync(src);
    const dest = join(root, 'detached');
    const staged = stagingDir(dest, 'feedface');
    for (const f of ['model.onnx', 'sway-weights.bin', 'sources.json']) copyFileSync(join(src, stored!, f), join(staged.dir, f));
    linkSync(join(src, stored!, 'source-0-model.safetensors'), join(staged.dir, 'source-0-model.safetensors'));
    const child = spawn(process.execPath, [committer, dest, 'feedface', staged.dir, '0'], { stdio: 'ignore' });
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code).toBe(0);
    expect(existsSync(staged.dir)).toBe(false);
    expect(readdirSync(dest)).toEqual(['feedface']);
    expect(findEntry(dest, 'feedface')).not.toBeNull();
  });
});
