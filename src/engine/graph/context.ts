/**
 * Mutable state of one graph build: node list, graph inputs/outputs, the weight packer and
 * checked reads from the checkpoint. The layer helpers in layers.ts append to it.
 */
import { ModelError } from '../../core/errors.js';
import { weightName, type WeightRef } from '../families.js';
import { DT, type NodeDef, type ValueDef } from '../onnx/model.js';
import type { ArchSpec, WeightSource } from '../types.js';
import type { LoraGroup } from './lora-groups.js';
import { readWeightInto } from '../weight-source.js';
import { WeightPacker, type RangeProducer } from './packer.js';

export interface GraphPlan {
  arch: ArchSpec;
  groups: LoraGroup[];
  /** DoRA gain inputs per group. */
  dora: boolean;
  /** Saved copies (modules_to_save / trainable tokens) for these base tensor names. */
  overrides: Map<string, Float32Array>;
  maxPositions: number;
}

export class GraphContext {
  readonly packer = new WeightPacker();
  readonly nodes: NodeDef[] = [];
  readonly inputs: ValueDef[] = [];
  readonly outputs: ValueDef[] = [];
  private counter = 0;
  private readonly groupByKey: Map<string, LoraGroup>;

  constructor(
    readonly plan: GraphPlan,
    private readonly weights: WeightSource,
  ) {
    this.groupByKey = new Map(plan.groups.map((g) => [g.key, g]));
  }

  get arch(): ArchSpec {
    return this.plan.arch;
  }

  tmp(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  add(op: string, ins: string[], attrs?: NodeDef['attrs'], domain?: string, nOut = 1): string[] {
    const outs = Array.from({ length: nOut }, () => this.tmp(op));
    this.nodes.push({ op, inputs: ins, outputs: outs, ...(attrs ? { attrs } : {}), ...(domain ? { domain } : {}) });
    return outs;
  }

  one(op: string, ins: string[], attrs?: NodeDef['attrs'], domain?: string): string {
    return this.add(op, ins, attrs, domain)[0] as string;
  }

  name(ref: WeightRef): string {
    return weightName(this.arch.weights, ref);
  }

  /** Reads a checkpoint tensor (fp32, NaN/Inf refused with file and tensor). */
  read(ref: WeightRef | string): Float32Array {
    const name = typeof ref === 'string' ? ref : this.name(ref);
    if (!this.weights.has(name)) throw new ModelError(`${this.weights.description}: tensor '${name}' is missing from the checkpoint`);
    const shape = this.weights.shape(name);
    const data = this.weights.readF32(name, { checkFinite: true });
    if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new ModelError(`${this.weights.description}: tensor '${name}' has an unexpected size`);
    return data;
  }

  /** Reads a checkpoint tensor straight into `out` (fp32, NaN/Inf refused), e.g. a packer slice. */
  readInto(ref: WeightRef | string, out: Float32Array): void {
    const name = typeof ref === 'string' ? ref : this.name(ref);
    if (this.size(name) !== out.length) throw new ModelError(`${this.weights.description}: tensor '${name}' has an unexpected size`);
    readWeightInto(this.weights, name, out, { checkFinite: true });
  }

  /**
   * Checkpoint tensors one after another (flat, row-major: for [out, in] weights, their rows
   * stacked) as a producer the packer can run piece by piece.
   */
  concat(refs: readonly WeightRef[]): RangeProducer {
    const names = refs.map((r) => this.name(r));
    const sizes = names.map((n) => this.size(n));
    return {
      range: (out, start) => {
        let base = 0;
        names.forEach((name, k) => {
          const size = sizes[k] as number;
          const from = Math.max(start, base);
          const to = Math.min(start + out.length, base + size);
          if (from < to) readWeightInto(this.weights, name, out.subarray(from - start, to - start), { checkFinite: true, start: from - base });
          base += size;
        });
      },
    };
  }

  /**
   * A checkpoint tensor as an initializer: its stored bytes and type where the source can
   * hand them over (no conversion on the JS side), else read as fp32. Use asFloat() for
   * an fp32 value of it.
   */
  stored(packName: string, dims: number[], ref: WeightRef): string {
    const name = this.name(ref);
    const size = this.size(name);
    if (size !== dims.reduce((a, b) => a * b, 1)) throw new ModelError(`${this.weights.description}: tensor '${name}' has an unexpected size`);
    const bytes = this.weights.storedBytes?.(name);
    if (!bytes) return this.packer.add(packName, dims, this.concat([ref]));
    const dataType = bytes.dtype === 'F32' ? DT.FLOAT : bytes.dtype === 'F16' ? DT.FLOAT16 : DT.BFLOAT16;
    return this.packer.addStored(packName, dims, { tensor: name, path: bytes.path, offset: bytes.offset, byteLength: bytes.byteLength, dataType });
  }

  /**
   * `value` (the initializer `init` itself, or a value computed from it) as fp32: a Cast when
   * `init` is stored in half precision (folded by onnxruntime when `value` is a constant).
   */
  asFloat(value: string, init = value): string {
    const type = this.packer.dataType(init);
    return type === undefined || type === DT.FLOAT ? value : this.one('Cast', [value], { to: DT.FLOAT });
  }

  /**
   * An fp32 weight of checkpoint tensors stacked along the first axis ([out, in] blocks one
   * after another): each stored, cast and, for several, concatenated in the graph (all
   * folded into one constant by onnxruntime).
   */
  weight(packName: string, dims: number[], refs: readonly WeightRef[]): string {
    const rest = dims.slice(1);
    const inner = rest.reduce((a, b) => a * b, 1);
    const parts = refs.map((r, k) => this.stored(refs.length === 1 ? packName : `${packName}_${k}`, [this.size(this.name(r)) / inner, ...rest], r));
    if (parts.length === 1) return this.asFloat(parts[0] as string);
    const types = new Set(parts.map((p) => this.packer.dataType(p)));
    // One element type: concatenate as stored, then cast once (fewer fp32 temporaries while onnxruntime folds it).
    if (types.size === 1) return this.asFloat(this.one('Concat', parts, { axis: 0 }), parts[0] as string);
    return this.one('Concat', parts.map((p) => this.asFloat(p)), { axis: 0 });
  }

  /**
   * Rows of an embedding-like table picked by `ids`, as fp32: the Gather reads the stored
   * (half-precision) table and only the picked rows are cast, so the table is never widened.
   */
  gatherRows(table: string, ids: string): string {
    return this.asFloat(this.one('Gather', [table, ids], { axis: 0 }), table);
  }

  private size(name: string): number {
    if (!this.weights.has(name)) throw new ModelError(`${this.weights.description}: tensor '${name}' is missing from the checkpoint`);
    return this.weights.shape(name).reduce((a, b) => a * b, 1);
  }

  has(ref: WeightRef): boolean {
    return this.weights.has(this.name(ref));
  }

  /** Refuses a tensor whose shape differs from what config.json implies. */
  expect(ref: WeightRef, dims: number[]): void {
    const name = this.name(ref);
    const s = this.weights.has(name) ? this.weights.shape(name) : null;
    if (!s || s.length !== dims.length || s.some((d, i) => d !== dims[i])) {
      throw new ModelError(`${this.weights.description}: tensor '${name}' has shape [${s?.join(', ') ?? 'missing'}], config.json implies [${dims.join(', ')}]`);
    }
  }

  group(key: string): LoraGroup | undefined {
    return this.groupByKey.get(key);
  }

  /**
   * LoRA A/B of a group with one block per distinct view of the batch: A [views*R, in] (each
   * view's A as PEFT stores it, [R, in]) and B [views*R, out]. Each row keeps only its own
   * view's rank columns through `loraMask(R)`, so nothing is copied per row.
   */
  loraInputs(g: LoraGroup): { a: string; b: string; mask: string } {
    const a = `lora_${g.key}_a`;
    const b = `lora_${g.key}_b`;
    this.inputs.push({ name: a, elemType: DT.FLOAT, shape: [`vr_${g.key}`, g.inFeatures] });
    this.inputs.push({ name: b, elemType: DT.FLOAT, shape: [`vr_${g.key}`, g.outFeatures] });
    return { a, b, mask: this.loraMask(g.rank) };
  }

  /** [batch, 1, views*R]: 1 on each row's view's R rank columns, 0 elsewhere (one input per distinct group rank). */
  loraMask(rank: number): string {
    const name = `lora_mask_${rank}`;
    if (!this.inputs.some((i) => i.name === name)) this.inputs.push({ name, elemType: DT.FLOAT, shape: ['batch', 1, `vr_mask_${rank}`] });
    return name;
  }

  /** The LoRA branch of each row's view for an input x [batch, seq, in]: ((x A^T) * mask) B, [batch, seq, out]. */
  loraBranch(g: LoraGroup, x: string): string {
    const { a, b, mask } = this.loraInputs(g);
    const down = this.one('FusedMatMul', [x, a], { transB: 1 }, 'com.microsoft');
    return this.one('MatMul', [this.one('Mul', [down, mask]), b]);
  }

  /** A per-view [views, 1, out] input (LoRA bias, DoRA gains), picked per row. */
  perViewVector(name: string, out: number): string {
    this.inputs.push({ name, elemType: DT.FLOAT, shape: ['views', 1, out] });
    return this.perRow(name);
  }

  /** The [batch] input naming each row's entry in the per-view inputs (declared once). */
  viewIdx(): string {
    if (!this.inputs.some((i) => i.name === 'view_idx')) this.inputs.push({ name: 'view_idx', elemType: DT.INT64, shape: ['batch'] });
    return 'view_idx';
  }

  /** Gathers each row's entry of a per-view input. */
  perRow(input: string): string {
    return this.one('Gather', [input, this.viewIdx()], { axis: 0 });
  }
}
