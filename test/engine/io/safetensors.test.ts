import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../../src/core/errors.js';
import {
  SafetensorsFile,
  decodeToF32,
  encodeFromNumbers,
  encodeSafetensors,
  floatToBf16Bits,
  floatToHalfBits,
  halfToFloat,
  openModelWeights,
  openSafetensorsSource,
  writeSafetensors,
} from '../../../src/engine/safetensors/index.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sway-st-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function expectModelError(fn: () => unknown, ...parts: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ModelError);
  const e = caught as ModelError;
  expect(e.code).toBe('SWAY_SAFETENSORS_INVALID');
  for (const p of parts) expect(e.message).toContain(p);
}

/** Builds a raw safetensors file from a header object and a data blob. */
function rawFile(name: string, header: unknown, blob: Uint8Array, lengthOverride?: bigint): string {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  const file = path.join(tmp, name);
  writeFileSync(file, Buffer.concat([prefix, json, blob]));
  return file;
}

describe('dtype conversion', () => {
  it('rounds fp32 to bf16 to nearest even', () => {
    expect(floatToBf16Bits(1)).toBe(0x3f80);
    // 1 + 2^-8 is exactly halfway between bf16 1 and 1+2^-7: ties to even (1).
    expect(floatToBf16Bits(1 + 2 ** -8)).toBe(0x3f80);
    // 1 + 3·2^-8 is halfway between 1+2^-7 (odd) and 1+2^-6 (even): rounds up.
    expect(floatToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(floatToBf16Bits(1 + 2 ** -8 + 2 ** -12)).toBe(0x3f81);
    expect(floatToBf16Bits(-2)).toBe(0xc000);
    expect(floatToBf16Bits(Infinity)).toBe(0x7f80);
    expect(Number.isNaN(halfToFloat(0x7e00))).toBe(true);
    expect(floatToBf16Bits(NaN) & 0x7fc0).toBe(0x7fc0);
  });

  it('decodes fp16 edge values', () => {
    expect(halfToFloat(0x0001)).toBe(2 ** -24); // smallest subnormal
    expect(halfToFloat(0x03ff)).toBe(1023 * 2 ** -24); // largest subnormal
    expect(halfToFloat(0x0400)).toBe(2 ** -14); // smallest normal
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(floatToHalfBits(65504)).toBe(0x7bff);
    expect(floatToHalfBits(65520)).toBe(0x7c00); // rounds to inf
    expect(floatToHalfBits(2 ** -24)).toBe(0x0001);
    expect(floatToHalfBits(2 ** -26)).toBe(0x0000); // below half the smallest subnormal
    expect(floatToHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie to even
  });
});

describe('decode paths', () => {
  it('decodes unaligned byte views the same as aligned ones', () => {
    const values = [1.5, -2.25, 0.1, 65504, 2 ** -24];
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const bytes = encodeFromNumbers(values, dtype);
      const shifted = new Uint8Array(bytes.byteLength + 1);
      shifted.set(bytes, 1);
      const a = decodeToF32(bytes, dtype, values.length);
      const b = decodeToF32(shifted.subarray(1), dtype, values.length);
      expect([...b]).toEqual([...a]);
    }
    expect([...decodeToF32(encodeFromNumbers([1, -0.5], 'F16'), 'F16', 2)]).toEqual([1, -0.5]);
  });
});

describe('round trip', () => {
  const values = [0, 1, -1.5, 0.1, 3.14159, -1e-3, 65504, 2 ** -20];
  for (const dtype of ['F32', 'F16', 'BF16'] as const) {
    it(`writes and reads ${dtype}`, () => {
      const file = path.join(tmp, `rt-${dtype}.safetensors`);
      writeSafetensors(file, [
        { name: 'a', dtype, shape: [2, 4], data: values },
        { name: 'b', dtype, shape: [3], data: [7, 8, 9] },
      ], { format: 'pt' });
      const f = SafetensorsFile.open(file);
      expect(f.metadata).toEqual({ format: 'pt' });
      expect(f.names().sort()).toEqual(['a', 'b']);
      const a = f.readF32('a');
      for (let i = 0; i < values.length; i++) {
        const tol = dtype === 'F32' ? 1e-7 : dtype === 'F16' ? 1e-3 : 8e-3;
        expect(Math.abs(a[i]! - values[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(values[i]!)));
      }
      expect([...f.readF32('b')]).toEqual([7, 8, 9]);
      f.close();
    });
  }

  it('writes headers aligned to 8 bytes', () => {
    const parts = encodeSafetensors([{ name: 'x', dtype: 'F32', shape: [1], data: [1] }]);
    expect((8 + parts[1]!.byteLength) % 8).toBe(0);
  });

  it('exposes a lazy WeightSource', () => {
    const file = path.join(tmp, 'ws.safetensors');
    writeSafetensors(file, [{ name: 'w', dtype: 'BF16', shape: [2, 2], data: [1, 2, 3, 4] }]);
    const ws = openSafetensorsSource(file);
    expect(ws.has('w')).toBe(true);
    expect(ws.shape('w')).toEqual([2, 2]);
    expect(ws.dtype('w')).toBe('BF16');
    expect([...ws.readF32('w')]).toEqual([1, 2, 3, 4]);
    ws.close();
  });

  it('decodes into a slice of a caller buffer', () => {
    const file = path.join(tmp, 'into.safetensors');
    writeSafetensors(file, [
      { name: 'p', dtype: 'BF16', shape: [3], data: [1, 2, 3] },
      { name: 'q', dtype: 'F16', shape: [2], data: [0.5, -4] },
    ]);
    const ws = openSafetensorsSource(file);
    const big = new Float32Array(8).fill(-1);
    ws.readF32Into('p', big.subarray(1, 4));
    ws.readF32Into('q', big.subarray(5, 7));
    expect([...big]).toEqual([-1, 1, 2, 3, -1, 0.5, -4, -1]);
    expect(ws.byteLength('p')).toBe(6);
    expect(() => ws.readF32Into('p', new Float32Array(2))).toThrow(/3 values, target holds 2/);
    ws.close();
  });

  it('finite check names file, tensor and count', () => {
    const file = path.join(tmp, 'nan.safetensors');
    writeSafetensors(file, [{ name: 'bad', dtype: 'F32', shape: [4], data: [1, NaN, Infinity, NaN] }]);
    const f = SafetensorsFile.open(file);
    expect(f.readF32('bad').length).toBe(4);
    expectModelError(() => f.readF32('bad', { checkFinite: true }), file, "'bad'", '3 non-finite', '2 NaN', '1 Inf');
    f.close();
  });
});

describe('corruption', () => {
  const f32 = (n: number): Uint8Array => new Uint8Array(n * 4);
  it('header length beyond the file', () => {
    const file = rawFile('len.safetensors', { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1), 1000n);
    expectModelError(() => SafetensorsFile.open(file), file, 'header length 1000 exceeds');
  });
  it('pickle file', () => {
    const file = path.join(tmp, 'pytorch_model.bin');
    writeFileSync(file, Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, 0x58, 0x01, 0x00, 0x00]));
    expectModelError(() => SafetensorsFile.open(file), file, 'pickle');
  });
  it('short file', () => {
    const file = path.join(tmp, 'short.safetensors');
    writeFileSync(file, Buffer.from([1, 2, 3]));
    expectModelError(() => SafetensorsFile.open(file), file, 'shorter than');
  });
  it('bad JSON', () => {
    const file = path.join(tmp, 'json.safetensors');
    const json = Buffer.from('{"a": ');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    writeFileSync(file, Buffer.concat([prefix, json]));
    expectModelError(() => SafetensorsFile.open(file), file, 'not valid JSON');
  });
  it('unknown dtype', () => {
    const file = rawFile('i64.safetensors', { ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8));
    expectModelError(() => SafetensorsFile.open(file), file, "'ids'", 'I64');
  });
  it('offsets out of bounds (truncated)', () => {
    const file = rawFile('oob.safetensors', { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(2));
    expectModelError(() => SafetensorsFile.open(file), file, "'a'", 'past the end');
  });
  it('byte length does not match shape', () => {
    const file = rawFile('size.safetensors', { a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2));
    expectModelError(() => SafetensorsFile.open(file), "'a'", 'spans 8 bytes', 'needs 12');
  });
  it('overlapping ranges', () => {
    const file = rawFile('overlap.safetensors', {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    }, f32(3));
    expectModelError(() => SafetensorsFile.open(file), "'b'", 'overlaps');
  });
  it('gapped ranges', () => {
    const file = rawFile('gap.safetensors', {
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
    }, f32(3));
    expectModelError(() => SafetensorsFile.open(file), "'b'", 'gap of 4');
  });
  it('truncated after writing', () => {
    const file = path.join(tmp, 'trunc.safetensors');
    writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [16], data: new Float32Array(16) }]);
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 10));
    expectModelError(() => SafetensorsFile.open(file), file, "'w'");
  });
});

describe('sharded index', () => {
  it('maps tensors to shards and reports a missing shard', () => {
    const dir = mkdtempSync(path.join(tmp, 'shard-'));
    writeSafetensors(path.join(dir, 'model-00001-of-00002.safetensors'), [{ name: 'x', dtype: 'F32', shape: [1], data: [1] }]);
    writeSafetensors(path.join(dir, 'model-00002-of-00002.safetensors'), [{ name: 'y', dtype: 'BF16', shape: [2], data: [2, 3] }]);
    const index = { metadata: {}, weight_map: { x: 'model-00001-of-00002.safetensors', y: 'model-00002-of-00002.safetensors' } };
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    const ws = openModelWeights(dir);
    expect(ws.names().sort()).toEqual(['x', 'y']);
    expect([...ws.readF32('y')]).toEqual([2, 3]);
    ws.close();
    rmSync(path.join(dir, 'model-00002-of-00002.safetensors'));
    expectModelError(() => openModelWeights(dir), 'model-00002-of-00002.safetensors', 'missing', "'y'");
  });
  it('names a pickle-only directory', () => {
    const dir = mkdtempSync(path.join(tmp, 'pkl-'));
    writeFileSync(path.join(dir, 'pytorch_model.bin'), 'x');
    expect(() => openModelWeights(dir)).toThrow(/pytorch_model\.bin.*convert/);
  });
});
