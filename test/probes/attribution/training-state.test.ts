import { existsSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SwayError } from '../../../src/core/errors.js';
import { MissingTrainingStateError } from '../../../src/core/errors.js';
import { isTensor, tensorValues, torchLoad } from '../../../src/probes/pre-run/torch-load.js';
import type { PickleTuple} from '../../../src/probes/pre-run/restricted-unpickler.js';
import { unpickle } from '../../../src/probes/pre-run/restricted-unpickler.js';
import { loadTrainingState } from '../../../src/probes/pre-run/training-state.js';
import { TrainingStateError, crc32 } from '../../../src/probes/pre-run/torch-zip.js';

const PT = join(import.meta.dirname, '../../fixtures/pt');

describe('torch.save archive reader', () => {
  it('decodes strided views, f16, bf16, int64, scalars and containers written by real torch', () => {
    const a = torchLoad(join(PT, 'tensors.pt'));
    const root = a.root as Map<unknown, unknown>;
    const get = (k: string): Float64Array => {
      const t = root.get(k);
      if (!isTensor(t)) throw new Error(k);
      return tensorValues(t, a);
    };
    // base = arange(12).reshape(3,4); base.t()[1:, :2] = [[1,5],[2,6],[3,7]]
    expect(Array.from(get('view'))).toEqual([1, 5, 2, 6, 3, 7]);
    expect(Array.from(get('half'))).toEqual([1.5, -2.25, 65504]);
    expect(Array.from(get('bf16'))).toEqual([1, -3.5, 0.15625]);
    expect(Array.from(get('scalar'))).toEqual([7]);
    expect(Array.from(get('ints'))).toEqual([3, -4, 5]);
    const ordered = root.get('ordered') as Map<unknown, unknown>;
    expect([...ordered.entries()]).toEqual([
      [2, 'b'],
      [1, 'a'],
    ]);
    const misc = root.get('misc') as PickleTuple;
    expect(misc.items.slice(0, 6)).toEqual([true, null, 1.25, 2 ** 40, -(2n ** 70n), 'é']);
    expect(Array.from(misc.items[6] as Uint8Array)).toEqual([0, 255]);
    expect(misc.items[7]).toEqual([1, 2]);
    expect([...(misc.items[8] as Set<number>)].sort()).toEqual([3, 4]);
  });

  it('crc32 matches the zlib value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('refuses a malicious pickle by name and executes nothing', () => {
    const marker = '/tmp/sway-pt-fixture-pwned';
    rmSync(marker, { force: true });
    expect(() => torchLoad(join(PT, 'malicious.pt'))).toThrow(/refusing to unpickle global 'posix\.system'/);
    try {
      torchLoad(join(PT, 'malicious.pt'));
    } catch (err) {
      expect(err).toBeInstanceOf(TrainingStateError);
      expect((err as SwayError).exitCode).toBe(2);
      expect((err as Error).message).toContain('malicious.pt');
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('a truncated archive is one clear error', () => {
    expect(() => torchLoad(join(PT, 'truncated.pt'))).toThrow(TrainingStateError);
    expect(() => torchLoad(join(PT, 'truncated.pt'))).toThrow(/truncated\.pt: no ZIP end-of-central-directory record/);
  });

  it('a corrupted entry fails its CRC check', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sway-pt-'));
    const bytes = Buffer.from(readFileSync(join(PT, 'tensors.pt')));
    const at = bytes.indexOf(Buffer.from('data.pkl')) + 200;
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(join(dir, 'bad.pt'), bytes);
    expect(() => torchLoad(join(dir, 'bad.pt'))).toThrow(/CRC-32|pickle/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses GLOBAL opcodes outside the allow-list (protocol 0 style)', () => {
    const pkl = Buffer.from('cbuiltins\neval\n(S\'1\'\ntR.', 'latin1');
    expect(() => unpickle(pkl)).toThrow(/refusing to unpickle global 'builtins\.eval'/);
  });

  it('a truncated pickle stream is a clear error', () => {
    expect(() => unpickle(Uint8Array.from([0x80, 0x02, 0x4a, 0x01]))).toThrow(/truncated pickle/);
  });
});

describe('loadTrainingState', () => {
  it('reads per-param Adam statistics in id order with integer keys', () => {
    const s = loadTrainingState(join(PT, 'one_hot_layer'));
    expect(s.globalStep).toBe(200);
    expect(s.epoch).toBe(2.5);
    expect(s.bestValLoss).toBe(Infinity);
    expect(s.params.map((p) => p.paramId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(s.params[0]!.step).toBe(200);
    expect(s.params[0]!.numel).toBe(6);
    expect(s.params[7]!.expAvgSqMean).toBeCloseTo(5e-4, 9);
    expect(s.params[0]!.expAvgSqMean).toBeCloseTo(1e-4, 9);
    // exp_avg = arange(6) * 1.5 for the second param of a layer: sqrt(55) * 1.5
    expect(s.params[1]!.expAvgNorm).toBeCloseTo(Math.sqrt(55) * 1.5, 5);
    expect(s.pinnedVersions).toEqual({ torch: '1.13', peft: '0.13.0' });
    expect(s.baseModelRevision).toBe('abc123');
    expect(s.dlmManifestHash).toBeNull();
    expect(s.useQlora).toBe(false);
  });

  it('a deflated re-pack of the same archive reads identically', () => {
    const a = torchLoad(join(PT, 'deflated_zip64.pt'));
    const b = torchLoad(join(PT, 'one_hot_layer', 'training_state.pt'));
    expect([...a.storages.keys()].sort()).toEqual([...b.storages.keys()].sort());
    for (const [k, v] of b.storages) expect(Buffer.from(a.storages.get(k)!).equals(Buffer.from(v))).toBe(true);
  });

  it('NaN exp_avg_sq (f16) stays NaN', () => {
    const s = loadTrainingState(join(PT, 'all_nan'));
    expect(s.params.every((p) => Number.isNaN(p.expAvgSqMean))).toBe(true);
  });

  it('missing file → MissingTrainingStateError naming the directory', () => {
    expect(() => loadTrainingState(join(PT, 'nope'))).toThrow(MissingTrainingStateError);
    expect(() => loadTrainingState(join(PT, 'nope'))).toThrow(/no training_state\.pt under .*nope/);
  });
});
