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

  weight(name: string, data: Float32Array, dims: number[]): string {
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, dataType: DataType.FLOAT, dims, raw });
    return name;
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
