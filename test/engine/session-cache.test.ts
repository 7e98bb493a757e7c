/**
 * Warm start: the first load stores onnxruntime's optimized model, the next loads of the
 * same plan come from it with the same logits; a corrupt entry is ignored and rebuilt; the
 * cache can be turned off. Counts loads and hits, never times.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
    expect(readdirSync(join(dir, entries[0]!)).sort()).toEqual(['meta.json', 'model.onnx', 'sway-weights.bin']);
    const second = await loadAndRun(dir, fx.trained);
    expect(second.cache).toBe('hit');
    expect(second.logits).toEqual(first.logits);
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
    for (const f of ['model.onnx', 'sway-weights.bin']) copyFileSync(join(src, stored!, f), join(staged.dir, f));
    const child = spawn(process.execPath, [committer, dest, 'feedface', staged.dir, '0'], { stdio: 'ignore' });
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code).toBe(0);
    expect(existsSync(staged.dir)).toBe(false);
    expect(readdirSync(dest)).toEqual(['feedface']);
    expect(findEntry(dest, 'feedface')).not.toBeNull();
  });
});
