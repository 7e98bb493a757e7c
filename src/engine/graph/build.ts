/**
 * Builds the decoder ONNX graph for an ArchSpec and a LoRA group layout. Base weights are
 * external-data initializers (packer.ts: the checkpoint's own bytes where they can be used
 * as stored, produced fp32 weights otherwise), in memory or in a warm-start folder;
 * LoRA A/B (and LoRA bias), DoRA gains and the saved-module selector are graph inputs, so
 * every view of the model (base, fine-tuned, scaled, null) is only a different set of feeds,
 * and rows of one batch may run different views.
 */
import { DT, encodeModel, type GraphDef } from '../onnx/model.js';
import type { WeightSource } from '../types.js';
import { GraphContext, type GraphPlan } from './context.js';
import { attentionConsts, decoderLayer, embedding, head, perLayerInputs, targetLogprobs } from './layers.js';
import type { WeightPacker } from './packer.js';
import { assertImplemented } from './traits.js';

export { EXTERNAL_LOCATION } from './packer.js';
export type { GraphPlan } from './context.js';

export interface BuiltGraph {
  /** Lays the weights out (packer.buffer() or packer.writeFolder(), once), then encodes the graph with their locations. */
  encode(): Uint8Array;
  weights: WeightPacker;
  inputNames: string[];
  hasOverrides: boolean;
}

export function buildDecoderGraph(plan: GraphPlan, weights: WeightSource): BuiltGraph {
  const { arch } = plan;
  assertImplemented(arch, 'graph builder');
  const ctx = new GraphContext(plan, weights);
  ctx.inputs.push({ name: 'input_ids', elemType: DT.INT64, shape: ['batch', 'seq'] });
  ctx.inputs.push({ name: 'seqlens_k', elemType: DT.INT32, shape: ['batch'] });
  ctx.inputs.push({ name: 'total_seq_len', elemType: DT.INT32, shape: [] });
  ctx.inputs.push({ name: 'gather_idx', elemType: DT.INT64, shape: ['batch', 'npos', 1] });
  ctx.inputs.push({ name: 'target_ids', elemType: DT.INT64, shape: ['batch', 'npos'] });
  const hasOverrides = plan.overrides.size > 0;
  if (hasOverrides) ctx.inputs.push({ name: 'use_saved', elemType: DT.BOOL, shape: ['batch', 1, 1] });

  const consts = attentionConsts(ctx);
  const splitGu = ctx.packer.int64('split_gu', [arch.intermediateSize, arch.intermediateSize]);
  const emb = embedding(ctx);
  let x = emb.x;
  const pli = perLayerInputs(ctx, x);
  for (let l = 0; l < arch.numLayers; l++) x = decoderLayer(ctx, l, x, consts, splitGu, pli[l]);
  const logits = head(ctx, x);
  ctx.nodes.push({ op: 'Identity', inputs: [logits], outputs: ['logits'] });
  ctx.nodes.push({ op: 'Identity', inputs: [targetLogprobs(ctx, logits)], outputs: ['target_logprobs'] });
  ctx.outputs.unshift({ name: 'target_logprobs', elemType: DT.FLOAT, shape: ['batch', 'npos'] });
  ctx.outputs.unshift({ name: 'logits', elemType: DT.FLOAT, shape: ['batch', 'npos', arch.vocabSize] });

  const graph: GraphDef = { name: `sway_${arch.family}`, nodes: ctx.nodes, inputs: ctx.inputs, outputs: ctx.outputs, initializers: ctx.packer.inits };
  const encode = () => encodeModel(graph, { '': 17, 'com.microsoft': 1 });
  return { encode, weights: ctx.packer, inputNames: ctx.inputs.map((i) => i.name), hasOverrides };
}
