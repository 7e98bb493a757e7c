/** The hand-written ONNX protobuf encoder: byte-level field layout and a model onnxruntime runs. */
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../src/engine/graph/builder.js';
import { DataType, encodeModel } from '../../../src/engine/onnx/proto.js';
import { parseView, viewKey } from '../../../src/engine/views.js';

describe('ONNX protobuf encoder', () => {
  it('writes ir_version, producer, and opset_import with protobuf tags and varints', () => {
    const bytes = encodeModel({ irVersion: 300, graph: { name: 'g', nodes: [], initializers: [], inputs: [], outputs: [] }, opsets: [{ domain: '', version: 17 }] });
    // field 1 varint 300 = 0x08 0xac 0x02; field 2 "sway"
    expect(Array.from(bytes.subarray(0, 9))).toEqual([0x08, 0xac, 0x02, 0x12, 4, 0x73, 0x77, 0x61, 0x79]);
    // opset_import (field 8) holding domain "" (field 1) and version 17 (field 2)
    expect(Array.from(bytes.subarray(bytes.length - 6))).toEqual([0x42, 4, 0x0a, 0, 0x10, 17]);
  });

  it('a graph with external-data and inline initializers, attributes and symbolic dims runs in onnxruntime', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, ['N', 3]);
    const w = g.weight('w', () => Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const y = g.op('Gemm', [x, w], { transB: 1, alpha: { float: 0.5 } });
    const z = g.op('Add', [y, g.scalar(1)]);
    const r = g.op('Reshape', [z, g.ints([-1])]);
    g.output(r, 'y', DataType.FLOAT, ['M']);
    const weights = g.externalize('w.bin');
    const model = encodeModel({ graph: g.graph('t'), opsets: [{ domain: '', version: 17 }] });
    const session = await ort.InferenceSession.create(model, { externalData: [{ path: 'w.bin', data: weights }] });
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 0, 1, 0, 1, 0]), [2, 3]) });
    // row0 = [1,0,1]·w rows = [4, 10]; row1 = [0,1,0] → [2, 5]; ×0.5 + 1
    expect(Array.from(out['y']!.data as Float32Array)).toEqual([3, 6, 2, 3.5]);
    await session.release();
  });
});

describe('view syntax', () => {
  it('parses base, ft, scale=λ and null options, and rejects the rest with the accepted forms', () => {
    expect(parseView('base')).toEqual({ kind: 'base' });
    expect(parseView('ft')).toEqual({ kind: 'ft' });
    expect(parseView('scale=0.25')).toEqual({ kind: 'scaled', lambda: 0.25 });
    expect(parseView('null:seed=3,rank=2')).toEqual({ kind: 'null', seed: 3, rankScale: 2 });
    expect(viewKey(parseView('null:seed=3'))).toBe('null:seed=3,rank=1,init=0.02');
    for (const bad of ['scale=', 'scale=abc', 'null:seed=1.5', 'null:rank=0', 'null:foo=1', 'lora']) {
      expect(() => parseView(bad)).toThrow(/use base, ft, scale=0\.5 or null:seed=3,rank=2/);
    }
  });
});
