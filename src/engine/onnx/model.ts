/**
 * ONNX message builders (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto)
 * on top of ProtoWriter. Field numbers follow onnx.proto.
 */
import { SwayError } from '../../core/errors.js';
import { ProtoWriter } from './protobuf.js';

export const DT = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, BFLOAT16: 16 } as const;

export type AttrValue = number | string | number[] | { floats: number[] } | { float: number };

export interface NodeDef {
  op: string;
  inputs: string[];
  outputs: string[];
  domain?: string;
  name?: string;
  attrs?: Record<string, AttrValue>;
}

export interface ValueDef {
  name: string;
  elemType: number;
  /** number = fixed dim, string = symbolic dim. */
  shape: (number | string)[];
}

export interface InitializerDef {
  name: string;
  dataType: number;
  dims: number[];
  /** Inline data (small tensors) ... */
  raw?: Uint8Array;
  /** ... or a slice of the external buffer `location`. */
  external?: { location: string; offset: number; length: number };
}

function attribute(name: string, v: AttrValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new SwayError(`internal: ONNX attribute ${name}: use {float} for non-integers`, 'SWAY_RUNTIME', 3);
    w.int(3, v).int(20, 2);
  } else if (typeof v === 'string') w.bytes(4, new TextEncoder().encode(v)).int(20, 3);
  else if (Array.isArray(v)) w.packedInts(8, v).int(20, 7);
  else if ('floats' in v) w.packedFloats(7, v.floats).int(20, 6);
  else w.float(2, v.float).int(20, 1);
  return w;
}

function node(n: NodeDef): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.op);
  for (const [k, v] of Object.entries(n.attrs ?? {})) w.message(5, attribute(k, v));
  if (n.domain) w.string(7, n.domain);
  return w;
}

function valueInfo(v: ValueDef): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, v.elemType).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

function initializer(t: InitializerDef): ProtoWriter {
  const w = new ProtoWriter();
  w.packedInts(1, t.dims);
  w.int(2, t.dataType);
  w.string(8, t.name);
  if (t.external) {
    const entry = (k: string, v: string) => new ProtoWriter().string(1, k).string(2, v);
    w.message(13, entry('location', t.external.location));
    w.message(13, entry('offset', String(t.external.offset)));
    w.message(13, entry('length', String(t.external.length)));
    w.int(14, 1);
  } else {
    w.bytes(9, t.raw ?? new Uint8Array());
  }
  return w;
}

export interface GraphDef {
  name: string;
  nodes: NodeDef[];
  inputs: ValueDef[];
  outputs: ValueDef[];
  initializers: InitializerDef[];
}

export function encodeModel(graph: GraphDef, opsets: Record<string, number>): Uint8Array {
  const g = new ProtoWriter();
  for (const n of graph.nodes) g.message(1, node(n));
  g.string(2, graph.name);
  for (const t of graph.initializers) g.message(5, initializer(t));
  for (const i of graph.inputs) g.message(11, valueInfo(i));
  for (const o of graph.outputs) g.message(12, valueInfo(o));
  const m = new ProtoWriter();
  m.int(1, 9); // IR version 9
  m.string(2, 'dlm-sway');
  for (const [domain, version] of Object.entries(opsets)) m.message(8, new ProtoWriter().string(1, domain).int(2, version));
  m.message(7, g);
  return m.finish();
}
