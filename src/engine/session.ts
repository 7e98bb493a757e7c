/**
 * From a loaded base + adapter to an onnxruntime session: the LoRA group layout, the saved
 * module copies the graph switches per view, DoRA base rows, and session creation with the
 * weights handed over once as in-memory external data.
 */
import './ort-privacy.js'; // before onnxruntime-node: turns its telemetry off
import * as ort from 'onnxruntime-node';
import { slotWeightName } from './adapter/merge.js';
import { refuseUnswitchableSaved } from './adapter/support.js';
import type { LoadedAdapter } from './adapter/types.js';
import { weightName } from './families.js';
import { buildDecoderGraph, EXTERNAL_LOCATION, type GraphPlan } from './graph/build.js';
import { buildGroups, type LoraGroup } from './graph/lora-groups.js';
import type { ArchSpec, WeightSource } from './types.js';

export interface PreparedModel {
  groups: LoraGroup[];
  /** Saved copies by base tensor name (modules_to_save, trainable-token rows applied). */
  overrides: Map<string, Float32Array>;
  /** Base [out, in] weights of DoRA-adapted slots, by slot index. */
  doraBase: Map<number, Float32Array>;
}

export function prepareModel(arch: ArchSpec, adapter: LoadedAdapter | null, weights: WeightSource): PreparedModel {
  const slots = adapter?.slots ?? [];
  const groups = buildGroups(arch, slots, adapter?.dir ?? '');
  const embedName = weightName(arch.weights, { module: 'embed' });
  const headName = weightName(arch.weights, { module: 'lm_head' });
  const doraBase = new Map<number, Float32Array>();
  slots.forEach((s, i) => {
    if (!s.magnitude) return;
    const name = s.target.scope === 'lm_head' && arch.tieWordEmbeddings && !weights.has(headName) ? embedName : slotWeightName(arch, s);
    doraBase.set(i, weights.readF32(name));
  });
  const overrides = new Map<string, Float32Array>();
  for (const [name, t] of adapter?.overrides ?? []) {
    refuseUnswitchableSaved(adapter!.dir, arch, name);
    overrides.set(name, t.data);
  }
  if (adapter?.trainableTokens) {
    const tt = adapter.trainableTokens;
    const H = arch.hiddenSize;
    const emb = Float32Array.from(overrides.get(embedName) ?? weights.readF32(embedName));
    tt.indices.forEach((id, k) => emb.set(tt.rows.subarray(k * H, (k + 1) * H), id * H));
    overrides.set(embedName, emb);
    if (arch.tieWordEmbeddings && !overrides.has(headName)) overrides.set(headName, emb);
  }
  return { groups, overrides, doraBase };
}

/**
 * Builds the graph and creates the session. The external-data buffer lives only inside
 * this call, so it can be collected as soon as onnxruntime has copied it.
 */
export async function createSession(plan: GraphPlan, weights: WeightSource, threads: number, timing: { session: number }): Promise<{ session: ort.InferenceSession; hasOverrides: boolean }> {
  const built = buildDecoderGraph(plan, weights);
  timing.session = performance.now();
  const session = await ort.InferenceSession.create(built.modelBytes, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
    externalData: [{ path: EXTERNAL_LOCATION, data: built.weights }],
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  } as ort.InferenceSession.SessionOptions);
  return { session, hasOverrides: built.hasOverrides };
}
