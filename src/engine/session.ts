/**
 * From a loaded base + adapter to an onnxruntime session: the LoRA group layout, the saved
 * module copies the graph switches per view, DoRA base rows, and session creation from a
 * warm-start entry or with the weights handed over once as in-memory external data.
 */
import './ort-privacy.js'; // before onnxruntime-node: turns its telemetry off
import * as ort from 'onnxruntime-node';
import { writeFileSync } from 'node:fs';
import { slotWeightName } from './adapter/merge.js';
import { refuseUnswitchableSaved } from './adapter/support.js';
import type { LoadedAdapter } from './adapter/types.js';
import { ModelError } from '../core/errors.js';
import { weightName } from './families.js';
import { buildDecoderGraph, EXTERNAL_LOCATION, type BuiltGraph, type GraphPlan } from './graph/build.js';
import { buildGroups, type LoraGroup } from './graph/lora-groups.js';
import { commitInBackground } from './cache-commit.js';
import { scanInBackground, type StoredSource } from './stored-scan.js';
import { dropEntry, findEntry, stagingDir, writeSources } from './session-cache.js';
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

export interface SessionCache {
  /** Cache root (see session-cache.ts); null disables. */
  root: string | null;
  key: string;
}

export interface CreatedSession {
  session: ort.InferenceSession;
  hasOverrides: boolean;
  /** 'hit': loaded from the warm-start cache; 'stored': built and being saved; 'off': built, not saved. */
  cache: 'hit' | 'stored' | 'off';
  /** Saving the entry (sync + rename) finishes in the background; await before exiting. */
  pending: Promise<unknown> | null;
}

/**
 * onnxruntime memory switches, for measuring (docs/engine.md): SWAY_ORT_MEMORY is a comma list
 * of `noprepack` (no prepacked copy of the weights), `noarena` (no CPU memory arena) and
 * `nopattern` (no memory-pattern planning); `default` or unset keeps onnxruntime's defaults.
 */
function memorySwitches(): Set<string> {
  const raw = process.env.SWAY_ORT_MEMORY ?? '';
  return new Set(raw.split(',').map((s) => s.trim()).filter((s) => s && s !== 'default'));
}

function sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  const mem = memorySwitches();
  const session: Record<string, unknown> = { intra_op: { allow_spinning: '0' } };
  if (mem.has('noprepack')) session.disable_prepacking = '1';
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
    ...(mem.has('noarena') ? { enableCpuMemArena: false } : {}),
    ...(mem.has('nopattern') ? { enableMemPattern: false } : {}),
    extra: { session },
  } as ort.InferenceSession.SessionOptions;
}

/**
 * Creates the session. With a cache folder: from its entry for this plan when there is one,
 * else the graph is built into a staged entry (produced weights written tensor by tensor,
 * checkpoint files hard-linked), the session is created from it while a worker scans the
 * linked tensors for NaN/Inf, and the entry is synced and renamed into place in the
 * background. Without one, or when the staged entry cannot be written or loaded: the graph's
 * weights (checkpoint tensors copied as stored) are handed over once as in-memory external data.
 */
export async function createSession(plan: GraphPlan, weights: WeightSource, threads: number, timing: { session: number }, cache: SessionCache | null = null): Promise<CreatedSession> {
  if (cache?.root) {
    const entry = findEntry(cache.root, cache.key);
    if (entry) {
      timing.session = performance.now();
      try {
        const session = await ort.InferenceSession.create(entry.model, sessionOptions(threads));
        return { session, hasOverrides: entry.hasOverrides, cache: 'hit', pending: null };
      } catch {
        dropEntry(entry.dir);
      }
    }
  }
  const built = buildDecoderGraph(plan, weights);
  if (cache?.root) {
    const root = cache.root;
    const staged = stageEntry(root, cache.key, built);
    if (staged) {
      timing.session = performance.now();
      // The linked checkpoint tensors are scanned for NaN/Inf on a worker while onnxruntime builds the session.
      const scan = scanInBackground(staged.unscanned);
      scan.catch(() => undefined); // awaited below, after the session: not an unhandled rejection meanwhile
      let session: ort.InferenceSession | null = null;
      try {
        session = await ort.InferenceSession.create(staged.model, sessionOptions(threads));
      } catch {
        // Not loadable from the folder (say, a file system onnxruntime cannot read): build in memory below.
      }
      try {
        await scan;
      } catch (err) {
        await session?.release();
        dropEntry(staged.dir);
        throw err;
      }
      if (session) return { session, hasOverrides: built.hasOverrides, cache: 'stored', pending: commitInBackground(root, cache.key, staged.dir, built.hasOverrides) };
      dropEntry(staged.dir);
    }
  }
  const options = sessionOptions(threads);
  options.externalData = [{ path: EXTERNAL_LOCATION, data: built.weights.buffer() }];
  const modelBytes = built.encode();
  timing.session = performance.now();
  const session = await ort.InferenceSession.create(modelBytes, options);
  return { session, hasOverrides: built.hasOverrides, cache: 'off', pending: null };
}

/**
 * Writes the graph and its weights into a staging folder, with the stored tensors still to be
 * scanned; null (nothing left) when the disk refuses.
 */
function stageEntry(root: string, key: string, built: BuiltGraph): { dir: string; model: string; unscanned: StoredSource[] } | null {
  let dir: string | null = null;
  try {
    const staged = stagingDir(root, key);
    dir = staged.dir;
    const { links, unscanned } = built.weights.writeFolder(dir);
    writeSources(dir, links);
    writeFileSync(staged.model, built.encode());
    return { ...staged, unscanned };
  } catch (err) {
    if (dir) dropEntry(dir);
    if (err instanceof ModelError) throw err;
    return null;
  }
}
