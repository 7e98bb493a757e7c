import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forEachTensorValue, loadTrainingState, TrainingStateError } from '../../src/probes/pre-run/training-state.js';
import { readZip } from '../../src/probes/pre-run/zip.js';
import { buildProbe } from '../../src/probes/registry.js';
import { writeZip, type ZipMember } from './zip-writer.js';

const REAL = resolve(import.meta.dirname, '../fixtures/pt/converged/training_state.pt');
/** data/1 is a 32-element f32 Adam moment (128 bytes) in the fixture written by PyTorch. */
const VICTIM = 'training_state/data/1';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sway-ts-bomb-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The real fixture's members, with `victim` replaced. */
function rebuilt(replace: Partial<ZipMember>): string {
  const zip = readZip(readFileSync(REAL));
  const members: ZipMember[] = [...zip.values()].map((e) => (e.name === VICTIM ? { name: e.name, data: Buffer.alloc(0), ...replace } : { name: e.name, data: e.read() }));
  const adapter = join(dir, 'adapter');
  mkdirSync(adapter, { recursive: true });
  writeFileSync(join(adapter, 'training_state.pt'), writeZip(members));
  return adapter;
}

function refusal(fn: () => unknown): TrainingStateError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TrainingStateError) return err;
    throw err;
  }
  throw new Error('expected a TrainingStateError');
}

describe('training_state.pt bombs (issue 15 item 1)', () => {
  it('a storage declaring 800 MB where the pickle declares 128 bytes is refused before any inflating', () => {
    // The body is not even valid deflate data: had the reader inflated it, zlib would have failed differently.
    const adapter = rebuilt({ declaredSize: 800 * 1024 * 1024, rawBody: Buffer.from('not deflate data at all'.repeat(8)) });
    const err = refusal(() => loadTrainingState(adapter));
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(`${join(adapter, 'training_state.pt')}: storage data/1 holds 838860800 bytes but the pickle declares 128 (corrupt or hostile file); refusing to read it`);
  });

  it('a member whose deflate stream runs past its declared size stops at the declared size', () => {
    const adapter = rebuilt({ data: Buffer.alloc(8 * 1024 * 1024), deflate: true, declaredSize: 128 });
    const err = refusal(() => loadTrainingState(adapter));
    expect(err.message).toBe(`failed to load ${join(adapter, 'training_state.pt')}: entry ${VICTIM} inflates past its declared 128 bytes (corrupt or hostile archive)`);
  });

  it('honest sizes over the limits are refused by size, naming the file', () => {
    const adapter = rebuilt({ data: Buffer.alloc(128), deflate: true });
    expect(loadTrainingState(adapter).globalStep).toBe(300);
    expect(refusal(() => loadTrainingState(adapter, { maxPickleBytes: 1 << 20, maxStorageBytes: 100, maxTotalBytes: 1 << 20 })).message).toMatch(/storage data\/\d+ is 128 bytes, over the 0 MiB per-storage limit$/);
    expect(refusal(() => loadTrainingState(adapter, { maxPickleBytes: 1000, maxStorageBytes: 1 << 20, maxTotalBytes: 1 << 20 })).message).toContain('training_state/data.pkl declares 2032 bytes, over the');
  });

  it('a tensor view larger than its storage is refused without walking it', () => {
    const storage = Buffer.alloc(8);
    let visited = 0;
    const huge = { __tensor: true as const, dtype: 'f32', shape: [1e12], stride: [0], offset: 0, storageKey: '0', storageNumel: 2 };
    expect(() => forEachTensorValue(huge, () => storage, () => visited++)).toThrow(/reads past its storage/);
    expect(visited).toBe(0);
  });

  it('gradient_ghost reports ERROR naming the file instead of passing', async () => {
    const adapter = rebuilt({ declaredSize: 800 * 1024 * 1024, rawBody: Buffer.from('x'.repeat(64)) });
    const { probe, spec } = buildProbe({ name: 'gg', kind: 'gradient_ghost', adapter_path: adapter });
    const r = await probe.run(spec, { backend: null, seed: 0, topK: 8, sections: null, docText: null, specDir: dir, nullStats: {}, nullStatsByRank: {}, downstreamKinds: [] });
    expect(r.verdict).toBe('error');
    expect(r.message).toContain(join(adapter, 'training_state.pt'));
  });
});
