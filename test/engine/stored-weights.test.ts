/**
 * Checkpoint tensors used as stored (bf16, fp16, fp32 bytes, cast in the graph): the logits
 * are the same bit for bit whether onnxruntime reads them through the warm-start entry's hard
 * link, from a copy in the entry (a cache on another file system), or from the in-memory
 * buffer; a NaN in a stored tensor is one error naming file and tensor (found on a worker
 * thread in the compiled build), and no entry is left.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { writeTinyModel } from '../../src/engine/fixtures/tiny-model.js';
import { SafetensorsSource } from '../../src/engine/safetensors/reader.js';
import { writeSafetensors } from '../../src/engine/safetensors/writer.js';
import type { scanInBackground as scanInBackgroundType } from '../../src/engine/stored-scan.js';
import type { SafetensorsDtype } from '../../src/engine/types.js';

const TEXT = 'The capital of France is Paris. Once upon a time';
const root = mkdtempSync(join(tmpdir(), 'sway-stored-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function logits(base: string, cacheDir: string | null): Promise<{ cache: string; values: number[] }> {
  const engine = await Engine.load({ base, threads: 1, cacheDir });
  try {
    return { cache: engine.stats.sessionCache, values: Array.from(await engine.fullLogits({ kind: 'base' }, engine.encode(TEXT))) };
  } finally {
    await engine.close();
  }
}

/** A folder on another file system than the temp dir (tmpfs), where hard links cannot reach. */
function otherFileSystem(): string | null {
  const shm = '/dev/shm';
  try {
    return statSync(shm).dev !== statSync(tmpdir()).dev ? mkdtempSync(join(shm, 'sway-stored-')) : null;
  } catch {
    return null;
  }
}

describe('checkpoint tensors used as stored', () => {
  for (const dtype of ['BF16', 'F16', 'F32'] as SafetensorsDtype[]) {
    it(`${dtype}: linked, copied and in-memory weights give the same logits`, async () => {
      const base = join(root, `model-${dtype}`);
      writeTinyModel(base, { family: 'llama', seed: 3, dtype });
      const memory = await logits(base, null);
      expect(memory.cache).toBe('off');

      const linkedDir = join(root, `cache-${dtype}`);
      const linked = await logits(base, linkedDir);
      expect(linked.cache).toBe('stored');
      expect(linked.values).toEqual(memory.values);
      const entry = join(linkedDir, readdirSync(linkedDir)[0]!);
      expect(statSync(join(entry, 'source-0-model.safetensors')).ino).toBe(statSync(join(base, 'model.safetensors')).ino);
      expect((await logits(base, linkedDir)).values).toEqual(memory.values);

      const far = otherFileSystem();
      if (!far) {
        console.log('stored-weights: skipping the cross-file-system copy check — /dev/shm is missing or on the same file system as the temp dir');
        return;
      }
      try {
        const copied = await logits(base, far);
        expect(copied.cache).toBe('stored');
        expect(copied.values).toEqual(memory.values);
        const farEntry = join(far, readdirSync(far)[0]!);
        // No link across file systems: the stored bytes went into the entry's weight file, as stored.
        expect(readdirSync(farEntry).some((f) => f.startsWith('source-'))).toBe(false);
        const src = SafetensorsSource.openDir(base);
        const storedBytes = src.names().reduce((n, name) => n + src.storedBytes(name).byteLength, 0);
        src.close();
        expect(statSync(join(farEntry, 'sway-weights.bin')).size).toBeGreaterThan(storedBytes * 0.9);
        expect((await logits(base, far)).values).toEqual(memory.values);
      } finally {
        rmSync(far, { recursive: true, force: true });
      }
    });
  }

  it('a sharded checkpoint: one link per shard, the same logits as the single file', async () => {
    const single = join(root, 'model-single');
    writeTinyModel(single, { family: 'llama', seed: 5, dtype: 'BF16' });
    const sharded = join(root, 'model-sharded');
    cpSync(single, sharded, { recursive: true });
    const src = SafetensorsSource.openDir(single);
    const names = src.names().sort();
    const shards = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    const weightMap: Record<string, string> = {};
    shards.forEach((shard, k) => {
      const mine = names.filter((_, i) => i % 2 === k);
      for (const n of mine) weightMap[n] = shard;
      writeSafetensors(join(sharded, shard), mine.map((name) => ({ name, dtype: src.dtype(name), shape: src.shape(name), data: src.readF32(name) })));
    });
    src.close();
    rmSync(join(sharded, 'model.safetensors'));
    writeFileSync(join(sharded, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const want = await logits(single, null);
    const cacheDir = join(root, 'cache-sharded');
    const got = await logits(sharded, cacheDir);
    expect(got.cache).toBe('stored');
    expect(got.values).toEqual(want.values);
    const entry = join(cacheDir, readdirSync(cacheDir)[0]!);
    const links = readdirSync(entry).filter((f) => f.startsWith('source-'));
    expect(links.map((f) => f.replace(/^source-\d+-/, '')).sort()).toEqual(shards);
    expect((await logits(sharded, cacheDir)).cache).toBe('hit');
  });

  it('a NaN in a stored tensor is one error naming file and tensor, and leaves no entry', async () => {
    const base = join(root, 'model-nan');
    writeTinyModel(base, { family: 'llama', seed: 4, dtype: 'BF16' });
    const file = join(base, 'model.safetensors');
    const at = SafetensorsSource.openDir(base);
    const name = 'model.layers.1.mlp.down_proj.weight';
    const where = at.storedBytes(name);
    at.close();
    const bytes = readFileSync(file);
    bytes.writeUInt16LE(0x7fc0, where.offset + 10); // a bf16 NaN
    writeFileSync(file, bytes);
    const cacheDir = join(root, 'cache-nan');
    await expect(Engine.load({ base, threads: 1, cacheDir })).rejects.toThrow(`${file}: tensor '${name}' has 1 non-finite value(s)`);
    expect(existsSync(cacheDir) ? readdirSync(cacheDir) : []).toEqual([]);
    await expect(Engine.load({ base, threads: 1, cacheDir: null })).rejects.toThrow(`tensor '${name}' has 1 non-finite value(s)`);

    // The compiled build scans on a worker thread (what a command does while onnxruntime builds the session).
    const compiled = new URL('../../dist/src/engine/stored-scan.js', import.meta.url);
    expect(existsSync(compiled), 'npm test builds dist/ first').toBe(true);
    const { scanInBackground } = (await import(compiled.href)) as { scanInBackground: typeof scanInBackgroundType };
    const src = SafetensorsSource.openDir(base);
    const all = src.names().map((n) => ({ tensor: n, path: file, offset: src.storedBytes(n).offset, byteLength: src.storedBytes(n).byteLength, dataType: 16 }));
    src.close();
    await expect(scanInBackground(all)).rejects.toThrow(`${file}: tensor '${name}' has 1 non-finite value(s)`);
    await expect(scanInBackground(all.filter((t) => t.tensor !== name))).resolves.toBeUndefined();
  });
});
