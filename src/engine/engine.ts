/**
 * A loaded model: one onnxruntime session holding one copy of the base weights, the
 * tokenizer, the adapter and its views. Every scoring call is one batched forward whose
 * rows may run different views. Log-softmax happens here in float64.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import './ort-privacy.js'; // before onnxruntime-node: turns its telemetry off
import * as ort from 'onnxruntime-node';
import { ModelError, ProbeError, SwayError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { RollingLogprob, TokenDist } from '../core/results.js';
import type { GenerateOptions } from '../core/views.js';
import { SWAY_VERSION } from '../core/version.js';
import { loadAdapter } from './adapter/load.js';
import type { LoadedAdapter, LoraSlot } from './adapter/types.js';
import { slotWeightName } from './adapter/merge.js';
import { loadArch } from './config.js';
import { buildDecoderGraph, EXTERNAL_LOCATION } from './graph/build.js';
import { buildGroups, fillGroupRow, type LoraGroup } from './graph/lora-groups.js';
import { logSoftmax, topKDist } from './logsoftmax.js';
import { adapterBaseModel, resolveModelDir } from './resolve.js';
import { SafetensorsSource } from './safetensors/reader.js';
import { loadTokenizer } from './tokenizer.js';
import type { ArchSpec, Tokenizer } from './types.js';
import { ViewResolver, type ResolvedView, type ViewSpec } from './views.js';

export const ENGINE_VERSION = `sway-engine-1/${SWAY_VERSION}/ort-1.30`;

export interface LoadOptions {
  base?: string;
  adapter?: string | null;
  threads?: number;
  /** Longest sequence (prompt + generation) the session supports; RoPE caches are sized to it. */
  maxPositions?: number;
}

export interface EngineStats {
  forwardPasses: number;
  batchesSent: number;
  batchedRows: number;
  maxBatchSize: number;
  loadSeconds: number;
  /** Part of loadSeconds spent reading/converting weights and building the graph. */
  buildSeconds: number;
  /** Part of loadSeconds spent in onnxruntime session creation. */
  sessionSeconds: number;
  /** Next-token answers served from the per-engine cache / computed. */
  cacheHits: number;
  cacheMisses: number;
}

export type { GenerateOptions };

interface RowRequest {
  view: ResolvedView;
  ids: number[];
  /** Positions whose next-token logits are wanted. */
  positions: number[];
}

/**
 * Content hash for cache identities: small files whole, big weight files by size plus
 * their first and last MiB (read with positioned reads, never the whole file).
 */
function hashDirFiles(dir: string, files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    const p = join(dir, f);
    let fd: number | null = null;
    try {
      const size = statSync(p).size;
      h.update(`${f}:${size}:`);
      fd = openSync(p, 'r');
      const chunks: [number, number][] = size > 1 << 24 ? [[0, 1 << 20], [size - (1 << 20), 1 << 20]] : [[0, size]];
      for (const [off, len] of chunks) {
        const buf = Buffer.alloc(len);
        readSync(fd, buf, 0, len, off);
        h.update(buf);
      }
    } catch {
      h.update(`${f}:absent`);
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }
  return h.digest('hex');
}

async function createSession(build: () => ReturnType<typeof buildDecoderGraph>, threads: number, timing: { session: number }): Promise<{ session: ort.InferenceSession; hasOverrides: boolean }> {
  const built = build();
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

/** Views are deterministic (null views by seed), so a (view, topK, prompt) answer can be reused. */
function viewCacheKey(v: ViewSpec): string {
  return v.kind === 'null' ? `null:${v.seed}:${v.rankScale ?? 1}:${v.initScale ?? 0.02}` : v.kind === 'scaled' ? `scaled:${v.lambda}` : v.kind;
}

/** A small LRU map for next-token answers. */
class LruMap<V> {
  private map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}

export class Engine {
  readonly stats: EngineStats = { forwardPasses: 0, batchesSent: 0, batchedRows: 0, maxBatchSize: 0, loadSeconds: 0, buildSeconds: 0, sessionSeconds: 0, cacheHits: 0, cacheMisses: 0 };
  private readonly distCache = new LruMap<TokenDist>(4096);
  private closed = false;

  private constructor(
    readonly arch: ArchSpec,
    readonly tokenizer: Tokenizer,
    readonly adapter: LoadedAdapter | null,
    private session: ort.InferenceSession,
    private readonly groups: LoraGroup[],
    private readonly views: ViewResolver,
    private readonly hasOverrides: boolean,
    private readonly useDora: boolean,
    readonly baseDir: string,
    readonly baseHash: string,
    readonly maxPositions: number,
  ) {}

  static async load(options: LoadOptions): Promise<Engine> {
    const t0 = performance.now();
    const adapterDir = options.adapter ? resolveModelDir(options.adapter, 'adapter') : null;
    const baseRef = options.base ?? (adapterDir ? adapterBaseModel(adapterDir) : null);
    if (!baseRef) throw new ModelError('no base model given and the adapter has no base_model_name_or_path; pass --base', 'SWAY_MODEL_NOT_FOUND');
    const baseDir = resolveModelDir(baseRef, 'model');
    const arch = loadArch(baseDir);
    const tokenizer = loadTokenizer(baseDir, arch.eosTokenIds);
    const weights = SafetensorsSource.openDir(baseDir);
    try {
      const adapter = adapterDir ? loadAdapter(adapterDir, arch, weights) : null;
      const slots = adapter?.slots ?? [];
      const groups = buildGroups(arch, slots);
      const doraBase = new Map<number, Float32Array>();
      slots.forEach((s: LoraSlot, i) => {
        if (s.magnitude) {
          const name = s.target.scope === 'lm_head' && arch.tieWordEmbeddings && !weights.has('lm_head.weight') ? 'model.embed_tokens.weight' : slotWeightName(s);
          doraBase.set(i, weights.readF32(name));
        }
      });
      const overrides = new Map<string, Float32Array>();
      for (const [name, t] of adapter?.overrides ?? []) {
        if (!['model.embed_tokens.weight', 'lm_head.weight', 'model.norm.weight'].includes(name)) {
          throw new SwayError(
            `${adapter?.dir}: modules_to_save copy of '${name}' is not supported by the sway engine yet (supported: embed_tokens, lm_head, model.norm)`,
            'SWAY_ADAPTER_UNSUPPORTED',
            2,
          );
        }
        overrides.set(name, t.data);
      }
      if (adapter?.trainableTokens) {
        const tt = adapter.trainableTokens;
        const H = arch.hiddenSize;
        const emb = Float32Array.from(overrides.get('model.embed_tokens.weight') ?? weights.readF32('model.embed_tokens.weight'));
        tt.indices.forEach((id, k) => emb.set(tt.rows.subarray(k * H, (k + 1) * H), id * H));
        overrides.set('model.embed_tokens.weight', emb);
        if (arch.tieWordEmbeddings && !overrides.has('lm_head.weight')) overrides.set('lm_head.weight', emb);
      }
      const maxPositions = Math.min(options.maxPositions ?? 2048, arch.maxPositionEmbeddings);
      const tBuild = performance.now();
      const threads = options.threads ?? Math.max(1, Math.min(8, (await import('node:os')).availableParallelism()));
      const timing = { session: 0 };
      // The external-data buffer lives only inside this call, so it can be collected as soon
      // as onnxruntime has copied it.
      const { session, hasOverrides } = await createSession(() => buildDecoderGraph({ arch, groups, dora: adapter?.useDora ?? false, overrides, maxPositions }, weights), threads, timing);
      const tSession = timing.session;
      const baseHash = hashDirFiles(baseDir, ['config.json', 'tokenizer.json', 'model.safetensors', 'model.safetensors.index.json']);
      const engine = new Engine(arch, tokenizer, adapter, session, groups, new ViewResolver(adapter, groups, doraBase), hasOverrides, adapter?.useDora ?? false, baseDir, baseHash, maxPositions);
      engine.stats.loadSeconds = (performance.now() - t0) / 1000;
      engine.stats.buildSeconds = (tSession - tBuild) / 1000;
      engine.stats.sessionSeconds = (performance.now() - tSession) / 1000;
      return engine;
    } finally {
      weights.close();
    }
  }

  resolveView(v: ViewSpec): ResolvedView {
    return this.views.resolve(v);
  }

  /** Stable identity for caches: content of base and adapter plus engine version. */
  identity(): string {
    return `hf:${this.baseHash}:${this.adapter?.contentHash ?? 'none'}:fp32:${ENGINE_VERSION}`;
  }

  private checkLength(n: number): void {
    if (n > this.maxPositions) {
      throw new SwayError(`input of ${n} tokens exceeds the engine's ${this.maxPositions}-position limit; shorten the prompt`, 'SWAY_INPUT', 2);
    }
  }

  /** One batched forward; returns per row the logits [positions.length * V]. */
  private async forwardRows(rows: RowRequest[]): Promise<Float32Array[]> {
    if (this.closed) throw new SwayError('engine is closed', 'SWAY_RUNTIME', 3);
    const B = rows.length;
    const S = Math.max(...rows.map((r) => r.ids.length));
    const P = Math.max(...rows.map((r) => r.positions.length));
    this.checkLength(S);
    const ids = new BigInt64Array(B * S);
    const seqlens = new Int32Array(B);
    const gather = new BigInt64Array(B * P);
    rows.forEach((r, b) => {
      r.ids.forEach((t, i) => (ids[b * S + i] = BigInt(t)));
      const pad = this.tokenizer.padTokenId ?? 0;
      for (let i = r.ids.length; i < S; i++) ids[b * S + i] = BigInt(pad);
      seqlens[b] = r.ids.length - 1;
      for (let k = 0; k < P; k++) gather[b * P + k] = BigInt(r.positions[Math.min(k, r.positions.length - 1)] as number);
    });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [B, S]),
      seqlens_k: new ort.Tensor('int32', seqlens, [B]),
      total_seq_len: new ort.Tensor('int32', Int32Array.from([S]), []),
      gather_idx: new ort.Tensor('int64', gather, [B, P, 1]),
    };
    this.addViewFeeds(feeds, rows.map((r) => r.view));
    const D = this.arch.headDim;
    const empty = new ort.Tensor('float32', new Float32Array(0), [B, this.arch.numKvHeads, 0, D]);
    for (let l = 0; l < this.arch.numLayers; l++) {
      feeds[`past_key_${l}`] = empty;
      feeds[`past_value_${l}`] = empty;
    }
    const out = await this.session.run(feeds, ['logits']);
    this.stats.forwardPasses += 1;
    this.stats.batchesSent += 1;
    this.stats.batchedRows += B;
    this.stats.maxBatchSize = Math.max(this.stats.maxBatchSize, B);
    const logits = (out['logits'] as ort.Tensor).data as Float32Array;
    const V = this.arch.vocabSize;
    return rows.map((r, b) => logits.slice(b * P * V, (b * P + r.positions.length) * V));
  }

  private addViewFeeds(feeds: Record<string, ort.Tensor>, views: readonly ResolvedView[]): void {
    const B = views.length;
    const allOff = views.every((v) => v.coeff === 0);
    for (const g of this.groups) {
      const R = allOff ? 0 : g.rank;
      const a = new Float32Array(B * g.inFeatures * R);
      const b = new Float32Array(B * R * g.outFeatures);
      if (R > 0) {
        views.forEach((v, row) => {
          if (v.coeff !== 0) fillGroupRow(g, v.slots, v.coeff, a, b, row * g.inFeatures * R, row * R * g.outFeatures);
        });
      }
      feeds[`lora_${g.key}_a`] = new ort.Tensor('float32', a, [B, g.inFeatures, R]);
      feeds[`lora_${g.key}_b`] = new ort.Tensor('float32', b, [B, R, g.outFeatures]);
      if (this.useDora && g.kind !== 'head') {
        const gains = new Float32Array(B * g.outFeatures).fill(1);
        views.forEach((v, row) => {
          const vg = v.gains?.get(g.key);
          if (vg) gains.set(vg, row * g.outFeatures);
        });
        feeds[`dora_${g.key}`] = new ort.Tensor('float32', gains, [B, 1, g.outFeatures]);
      }
    }
    if (this.hasOverrides) {
      feeds['use_saved'] = new ort.Tensor('bool', Uint8Array.from(views.map((v) => (v.useSaved ? 1 : 0))), [B, 1, 1]);
    }
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { addSpecialTokens: true });
  }

  /** Next-token distributions for every (view, prompt) pair in one batched forward: result[v][p]. */
  async nextTokenDists(views: readonly ViewSpec[], prompts: readonly string[], topK: number): Promise<TokenDist[][]> {
    if (prompts.length === 0 || views.length === 0) return views.map(() => []);
    const encoded = prompts.map((p) => {
      const ids = this.encode(p);
      if (ids.length === 0) throw new ProbeError('next_token_dist', `prompt tokenized to zero tokens: ${JSON.stringify(p)}`);
      return ids;
    });
    const resolved = views.map((v) => this.resolveView(v));
    const keys = views.map((v) => viewCacheKey(v));
    const out: TokenDist[][] = resolved.map(() => new Array<TokenDist>(prompts.length));
    const rows: RowRequest[] = [];
    const slots: [number, number][] = [];
    resolved.forEach((view, vi) => {
      encoded.forEach((ids, pi) => {
        const hit = this.distCache.get(`${keys[vi]}|${topK}|${prompts[pi]}`);
        if (hit) {
          out[vi]![pi] = hit;
          this.stats.cacheHits += 1;
        } else {
          rows.push({ view, ids, positions: [ids.length - 1] });
          slots.push([vi, pi]);
          this.stats.cacheMisses += 1;
        }
      });
    });
    if (rows.length) {
      const logits = await this.forwardChunked(rows);
      const V = this.arch.vocabSize;
      slots.forEach(([vi, pi], r) => {
        const d = topKDist(logSoftmax(logits[r] as Float32Array, 0, V), topK);
        out[vi]![pi] = d;
        this.distCache.set(`${keys[vi]}|${topK}|${prompts[pi]}`, d);
      });
    }
    return out;
  }

  /** Completion logprob sums for every (view, pair) in one batched forward: result[v][p]. */
  async logprobsOf(views: readonly ViewSpec[], pairs: readonly { prompt: string; completion: string }[]): Promise<number[][]> {
    if (pairs.length === 0 || views.length === 0) return views.map(() => []);
    const prepared = pairs.map(({ prompt, completion }) => {
      const p = this.encode(prompt);
      const full = this.encode(prompt + completion);
      if (full.length <= p.length) {
        throw new ProbeError('logprob_of', `completion tokenized to zero tokens (prompt=${JSON.stringify(prompt)}, completion=${JSON.stringify(completion)})`);
      }
      if (p.length === 0) throw new ProbeError('logprob_of', `prompt tokenized to zero tokens: ${JSON.stringify(prompt)}`);
      const positions: number[] = [];
      for (let i = p.length - 1; i < full.length - 1; i++) positions.push(i);
      return { full, positions };
    });
    const resolved = views.map((v) => this.resolveView(v));
    const rows: RowRequest[] = [];
    for (const view of resolved) for (const pr of prepared) rows.push({ view, ids: pr.full, positions: pr.positions });
    const logits = await this.forwardChunked(rows);
    const V = this.arch.vocabSize;
    return resolved.map((_, vi) =>
      prepared.map((pr, pi) => {
        const lg = logits[vi * prepared.length + pi] as Float32Array;
        let total = 0;
        pr.positions.forEach((pos, k) => {
          const lp = logSoftmax(lg, k * V, V);
          total += lp[pr.full[pos + 1] as number] as number;
        });
        return total;
      }),
    );
  }

  async rollingLogprob(view: ViewSpec, text: string): Promise<RollingLogprob> {
    const ids = this.encode(text);
    if (ids.length < 2) return { tokenIds: Int32Array.from(ids), logprobs: new Float64Array(0), numTokens: ids.length, totalLogprob: 0 };
    const positions = ids.slice(0, -1).map((_, i) => i);
    const [lg] = await this.forwardRows([{ view: this.resolveView(view), ids, positions }]);
    const V = this.arch.vocabSize;
    const lps = new Float64Array(ids.length - 1);
    let total = 0;
    positions.forEach((pos, k) => {
      const v = logSoftmax(lg as Float32Array, k * V, V)[ids[pos + 1] as number] as number;
      lps[k] = v;
      total += v;
    });
    return { tokenIds: Int32Array.from(ids), logprobs: lps, numTokens: ids.length, totalLogprob: total };
  }

  /** Splits very large batches so one forward stays within a sane memory budget. */
  private async forwardChunked(rows: RowRequest[]): Promise<Float32Array[]> {
    const maxTokens = 8192;
    const out: Float32Array[] = [];
    let chunk: RowRequest[] = [];
    let tokens = 0;
    for (const r of rows) {
      const len = r.ids.length;
      if (chunk.length && (tokens + len) * Math.max(1, r.positions.length > 1 ? 2 : 1) > maxTokens) {
        out.push(...(await this.forwardRows(chunk)));
        chunk = [];
        tokens = 0;
      }
      chunk.push(r);
      tokens += len;
    }
    if (chunk.length) out.push(...(await this.forwardRows(chunk)));
    return out;
  }

  /** Greedy (temperature 0) or seeded sampled generation with the KV cache. */
  async generate(view: ViewSpec, prompt: string, options: GenerateOptions): Promise<string> {
    const resolved = this.resolveView(view);
    const ids = this.encode(prompt);
    const out = await this.generateIds(resolved, ids, options);
    return this.finishText(out, options.stop);
  }

  private finishText(ids: number[], stop?: string[]): string {
    let text = this.tokenizer.decode(ids, { skipSpecialTokens: true });
    for (const s of stop ?? []) {
      const at = s ? text.indexOf(s) : -1;
      if (at >= 0) text = text.slice(0, at);
    }
    return text;
  }

  /** Returns the generated token ids (without the prompt). */
  async generateIds(view: ResolvedView, promptIds: number[], options: GenerateOptions): Promise<number[]> {
    if (promptIds.length === 0) throw new ProbeError('generate', 'prompt tokenized to zero tokens');
    const temperature = options.temperature ?? 0;
    const topP = options.topP ?? 1;
    const rng = new Rng(options.seed ?? 0);
    const V = this.arch.vocabSize;
    const D = this.arch.headDim;
    const eos = new Set(this.tokenizer.eosTokenIds);
    this.checkLength(promptIds.length + options.maxNewTokens);
    const feedsBase: Record<string, ort.Tensor> = {};
    this.addViewFeeds(feedsBase, [view]);
    let past: ort.Tensor[] = [];
    const empty = new ort.Tensor('float32', new Float32Array(0), [1, this.arch.numKvHeads, 0, D]);
    for (let l = 0; l < this.arch.numLayers; l++) past.push(empty, empty);
    let input = promptIds;
    let total = 0;
    const generated: number[] = [];
    const outNames = ['logits'];
    for (let l = 0; l < this.arch.numLayers; l++) outNames.push(`present_key_${l}`, `present_value_${l}`);
    for (let step = 0; step < options.maxNewTokens; step++) {
      total += input.length;
      const feeds: Record<string, ort.Tensor> = {
        ...feedsBase,
        input_ids: new ort.Tensor('int64', BigInt64Array.from(input.map(BigInt)), [1, input.length]),
        seqlens_k: new ort.Tensor('int32', Int32Array.from([total - 1]), [1]),
        total_seq_len: new ort.Tensor('int32', Int32Array.from([total]), []),
        gather_idx: new ort.Tensor('int64', BigInt64Array.from([BigInt(input.length - 1)]), [1, 1, 1]),
      };
      for (let l = 0; l < this.arch.numLayers; l++) {
        feeds[`past_key_${l}`] = past[2 * l] as ort.Tensor;
        feeds[`past_value_${l}`] = past[2 * l + 1] as ort.Tensor;
      }
      const res = await this.session.run(feeds, outNames);
      this.stats.forwardPasses += 1;
      past = outNames.slice(1).map((n) => res[n] as ort.Tensor);
      const lp = logSoftmax((res['logits'] as ort.Tensor).data as Float32Array, 0, V);
      const next = temperature > 0 ? sample(lp, temperature, topP, rng) : argmax(lp);
      if (eos.has(next)) break;
      generated.push(next);
      if (options.stop?.length && options.stop.some((s) => s && this.tokenizer.decode(generated, { skipSpecialTokens: true }).includes(s))) break;
      input = [next];
    }
    return generated;
  }

  /** Full next-token log-distribution at every position of `ids` for one view (tests, tools). */
  async fullLogits(view: ViewSpec, ids: number[]): Promise<Float32Array> {
    return (await this.batchedLogits([view], ids))[0] as Float32Array;
  }

  /** Runs several views over the same token ids as rows of one batch (tests, bench). */
  async batchedLogits(views: readonly ViewSpec[], ids: number[], positions: 'all' | 'last' = 'all'): Promise<Float32Array[]> {
    const pos = positions === 'all' ? ids.map((_, i) => i) : [ids.length - 1];
    return this.forwardRows(views.map((v) => ({ view: this.resolveView(v), ids, positions: pos })));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }
}

function argmax(lp: Float64Array): number {
  let best = 0;
  for (let i = 1; i < lp.length; i++) if ((lp[i] as number) > (lp[best] as number)) best = i;
  return best;
}

function sample(lp: Float64Array, temperature: number, topP: number, rng: Rng): number {
  const scaled = Array.from(lp, (v, i) => ({ i, w: v / temperature }));
  const max = Math.max(...scaled.map((s) => s.w));
  let z = 0;
  for (const s of scaled) z += (s.w = Math.exp(s.w - max));
  scaled.sort((a, b) => b.w - a.w || a.i - b.i);
  let cum = 0;
  const kept: typeof scaled = [];
  for (const s of scaled) {
    kept.push(s);
    cum += s.w / z;
    if (cum >= topP) break;
  }
  const mass = kept.reduce((a, s) => a + s.w, 0);
  let u = rng.next() * mass;
  for (const s of kept) {
    u -= s.w;
    if (u <= 0) return s.i;
  }
  return (kept[kept.length - 1] as { i: number }).i;
}
