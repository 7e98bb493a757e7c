/**
 * The load pipeline: resolve → config → checkpoint validation → adapter → graph → session.
 * The fp32 weights are copied into the model bytes once and dropped after session creation.
 */
import { createHash } from 'node:crypto';
import { AdapterError } from '../core/errors.js';
import { SWAY_VERSION } from '../core/version.js';
import { loadAdapter } from './adapter/load.js';
import type { LoadedAdapter, LoraSlot } from './adapter/types.js';
import { loadArchSpec } from './config.js';
import { buildDecoderModel, type SlotSpec } from './graph/decoder.js';
import { resolveModelDir } from './resolve.js';
import { openModelWeights, validateCheckpoint } from './safetensors/index.js';
import { DecoderSession, type EmbeddingRows } from './session.js';
import { loadTokenizer, type EngineTokenizer } from './tokenizer.js';
import type { ArchSpec, WeightSource } from './types.js';
import { ViewCache } from './views.js';

export interface LoadEngineOptions {
  base: string;
  adapter?: string | null;
  threads?: number;
}

export interface Engine {
  arch: ArchSpec;
  tokenizer: EngineTokenizer;
  adapter: LoadedAdapter | null;
  session: DecoderSession;
  views: ViewCache;
  baseHash: string;
  loadMs: number;
  identity(): string;
  close(): Promise<void>;
}

const EMBED = 'model.embed_tokens.weight';
const LM_HEAD = 'lm_head.weight';

function moduleWeightName(slot: LoraSlot): string {
  return `${slot.modulePath}.weight`;
}

/** Content hash: tensor names/dtypes/shapes plus the fp32 weight bytes the graph holds (≈0.3 s per 500 MB). */
function checkpointHash(source: WeightSource, weightBytes: Uint8Array): string {
  const h = createHash('sha256');
  for (const n of source.names().sort()) h.update(`${n}:${source.dtype(n)}:${source.shape(n).join('x')};`);
  h.update(weightBytes);
  return h.digest('hex');
}

/** Weights for the graph, overrides and saved rows, from a base source and an optional adapter. */
export async function buildEngine(arch: ArchSpec, source: WeightSource, adapter: LoadedAdapter | null, threads?: number): Promise<Omit<Engine, 'tokenizer' | 'loadMs' | 'identity' | 'close'> & { dispose(): void }> {
  const graphSlots = (adapter?.slots ?? []).filter((s) => s.target.scope !== 'embed_tokens');
  const slots: SlotSpec[] = graphSlots.map((slot, index) => ({ index, slot, hasBias: slot.bBias !== null, dora: slot.magnitude !== null }));
  const overrides = new Map<string, Float32Array>();
  let savedEmbed: Map<number, Float32Array> | null = null;
  for (const [name, t] of adapter?.overrides ?? []) {
    if (name === EMBED) {
      savedEmbed ??= new Map();
      const H = arch.hiddenSize;
      for (let v = 0; v < arch.vocabSize; v++) savedEmbed.set(v, t.data.subarray(v * H, (v + 1) * H));
    } else if (name === LM_HEAD || /\.(weight|bias)$/.test(name) && /_proj\./.test(name)) {
      overrides.set(name, t.data);
    } else {
      throw new AdapterError(`${adapter!.dir}: saved module tensor ${name} is not supported by the engine (only linear projections, lm_head and embed_tokens); drop it from modules_to_save.`);
    }
  }
  const tt = adapter?.trainableTokens;
  if (tt) {
    savedEmbed ??= new Map();
    const H = arch.hiddenSize;
    tt.indices.forEach((id, j) => savedEmbed!.set(id, tt.rows.subarray(j * H, (j + 1) * H)));
    if (arch.tieWordEmbeddings && !overrides.has(LM_HEAD)) {
      const head = Float32Array.from(source.readF32(EMBED));
      tt.indices.forEach((id, j) => head.set(tt.rows.subarray(j * H, (j + 1) * H), id * H));
      overrides.set(LM_HEAD, head);
    }
  }
  let embedCache: Float32Array | null = null;
  const embedRows: EmbeddingRows | null = savedEmbed
    ? {
        baseRow: (id) => {
          embedCache ??= source.readF32(EMBED);
          return embedCache.subarray(id * arch.hiddenSize, (id + 1) * arch.hiddenSize);
        },
        savedRow: (id) => savedEmbed!.get(id) ?? null,
      }
    : null;
  const model = buildDecoderModel({
    arch,
    weights: { has: (n) => source.has(n), get: (n) => source.readF32(n, { checkFinite: true }), shape: (n) => source.shape(n) },
    slots,
    overrides,
  });
  const baseHash = checkpointHash(source, model.weights);
  const session = await DecoderSession.create(model, arch, slots, {
    threads,
    hasOverrides: overrides.size > 0,
    headOverride: overrides.has(LM_HEAD),
    embedRows,
  });
  const views = new ViewCache({ adapter, graphSlots, baseWeight: (slot) => source.readF32(moduleWeightName(slot)) });
  return { arch, adapter, session, views, baseHash, dispose: () => source.close() };
}

export async function loadEngine(opts: LoadEngineOptions): Promise<Engine> {
  const t0 = performance.now();
  const baseDir = resolveModelDir(opts.base, { kind: 'model' }).dir;
  const arch = loadArchSpec(baseDir);
  const source = openModelWeights(baseDir);
  try {
    validateCheckpoint(arch, source);
    const tokenizer = loadTokenizer(baseDir);
    const adapter = opts.adapter ? loadAdapter(resolveModelDir(opts.adapter, { kind: 'adapter' }).dir, { arch, baseWeights: source }) : null;
    const built = await buildEngine(arch, source, adapter, opts.threads);
    const loadMs = performance.now() - t0;
    return {
      ...built,
      tokenizer,
      loadMs,
      identity: () => ['engine', built.baseHash.slice(0, 16), adapter?.contentHash.slice(0, 16) ?? 'none', 'fp32', SWAY_VERSION].join(':'),
      close: async () => {
        await built.session.release();
        built.dispose();
      },
    };
  } catch (err) {
    source.close();
    throw err;
  }
}
