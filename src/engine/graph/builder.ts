/** Small helper to assemble an ONNX graph: unique value names, constants and initializers. */
import { DataType, type AttributeValue, type Dim, type GraphProto, type NodeProto, type TensorProto, type ValueInfo } from '../onnx/proto.js';

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private counter = 0;
  private consts = new Map<string, string>();

  op(opType: string, inputs: string[], attributes?: Record<string, AttributeValue>, domain?: string): string {
    const out = `${opType.toLowerCase()}_${this.counter++}`;
    this.nodes.push({ opType, inputs, outputs: [out], attributes, domain });
    return out;
  }

  input(name: string, elemType: ValueInfo['elemType'], shape: Dim[]): string {
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  output(value: string, name: string, elemType: ValueInfo['elemType'], shape: Dim[]): void {
    this.nodes.push({ opType: 'Identity', inputs: [value], outputs: [name] });
    this.outputs.push({ name, elemType, shape });
  }

  private pending: { tensor: TensorProto; data: Float32Array | (() => Float32Array) }[] = [];

  /**
   * A float initializer; its bytes go to the external-data buffer (see externalize). A
   * producer function is called only then, so at most one temporary copy is alive at a time.
   */
  weight(name: string, data: Float32Array | (() => Float32Array), dims: number[]): string {
    const tensor: TensorProto = { name, dataType: DataType.FLOAT, dims };
    this.initializers.push(tensor);
    this.pending.push({ tensor, data });
    return name;
  }

  /**
   * Moves every weight into one buffer addressed as in-memory external data under `location`
   * (keeps the ModelProto small and below protobuf's 2 GiB limit).
   */
  externalize(location: string): Buffer {
    const bytesOf = (p: (typeof this.pending)[number]) => p.tensor.dims.reduce((a, b) => a * b, 1) * 4;
    const total = this.pending.reduce((n, p) => n + bytesOf(p), 0);
    const buf = Buffer.allocUnsafe(total);
    let off = 0;
    for (const p of this.pending) {
      const data = typeof p.data === 'function' ? p.data() : p.data;
      const length = bytesOf(p);
      if (data.byteLength !== length) throw new RangeError(`initializer ${p.tensor.name}: ${data.byteLength} bytes for dims [${p.tensor.dims.join(', ')}]`);
      buf.set(new Uint8Array(data.buffer, data.byteOffset, length), off);
      p.tensor.external = { location, offset: off, length };
      off += length;
    }
    this.pending = [];
    return buf;
  }

  ints(values: number[]): string {
    const key = `i:${values.join(',')}`;
    const hit = this.consts.get(key);
    if (hit) return hit;
    const name = `const_${this.counter++}`;
    const raw = new Uint8Array(new BigInt64Array(values.map((v) => BigInt(v))).buffer);
    this.initializers.push({ name, dataType: DataType.INT64, dims: [values.length], raw });
    this.consts.set(key, name);
    return name;
  }

  scalar(value: number): string {
    const key = `f:${value}`;
    const hit = this.consts.get(key);
    if (hit) return hit;
    const name = `const_${this.counter++}`;
    this.initializers.push({ name, dataType: DataType.FLOAT, dims: [], raw: new Uint8Array(new Float32Array([value]).buffer) });
    this.consts.set(key, name);
    return name;
  }

  graph(name: string): GraphProto {
    return { name, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs };
  }
}
