/**
 * A loaded model: one onnxruntime session holding one copy of the base weights, the
 * tokenizer, the adapter and its views. Every scoring call is one batched forward whose
 * rows may run different views. Log-softmax happens here in float64.
 */
import type * as ort from 'onnxruntime-node';
import { ModelError, ProbeError, SwayError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { recordTrace, tracing, viewLabel } from '../core/trace.js';
import type { RollingLogprob, TokenDist } from '../core/results.js';
import type { GenerateOptions } from '../core/views.js';
import { withBaseTensors } from './adapter/base-tensors.js';
import { loadAdapter } from './adapter/load.js';
import type { LoadedAdapter } from './adapter/types.js';
import { AnswerCache, answerBytes, answerKey, LruMap, viewCacheKey } from './answer-cache.js';
import { checkArchAgainstWeights, loadArch } from './config.js';
import { nextPast, SegmentCache } from './decode.js';
import { emptyPastFeeds, PackedViewCache, presentNames, stepFeeds, tokenFeeds, viewFeeds, type FeedLayout, type RowRequest } from './feeds.js';
import type { LoraGroup } from './graph/lora-groups.js';
import { BASE_IDENTITY_FILES, ENGINE_VERSION, engineIdentity, hashDirFiles } from './identity.js';
import { logSoftmax, topKFromLogits } from './logsoftmax.js';
import { adapterBaseModel, resolveModelDir } from './resolve.js';
import { chooseToken } from './sampling.js';
import { SafetensorsSource } from './safetensors/reader.js';
import { withLegacyNames } from './legacy-names.js';
import { familyTraits } from './families.js';
import { createSession, prepareModel } from './session.js';
import { cacheKey, defaultCacheDir } from './session-cache.js';
import { loadTokenizer } from './tokenizer.js';
import type { ArchSpec, Tokenizer } from './types.js';
import { ViewResolver, type ResolvedView, type ViewSpec } from './views.js';

export { ENGINE_VERSION };

export interface LoadOptions {
  base?: string;
  adapter?: string | null;
  threads?: number;
  /** Longest sequence (prompt + generation) the session supports; RoPE caches are sized to it. */
  maxPositions?: number;
  /** Warm-start cache folder; null disables it; default from the environment (session-cache.ts). */
  cacheDir?: string | null;
  /** Logit values one forward may return (default 8M, 32 MB); longer rows run in segments. Tests lower it. */
  forwardLogits?: number;
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
  /** Warm-start cache: 'hit' (loaded from it), 'stored' (built and saved), 'off' (built only). */
  sessionCache: 'hit' | 'stored' | 'off';
}

export type { GenerateOptions };

/** Logit values one forward may return (rows x positions x vocabulary): 32 MB of fp32. */
const FORWARD_LOGITS = 8 << 20;
/**
 * Tokens one batched forward may hold (rows x padded length; rows asking for several
 * positions count twice): onnxruntime's peak working memory grows by ≈ 150 KB per token on
 * the 135M shape, and its arena keeps the peak, so this bounds what a suite holds.
 */
const FORWARD_TOKENS = 2048;
/** Rows longer than this run in segments with the KV cache (attention scores grow with the square of the length). */
const SEGMENT_ABOVE_TOKENS = 1024;

/** The forwards a multi-view scoring call still needs, and which (view, item) each row answers. */
interface RowPlan {
  rows: RowRequest[];
  slots: [number, number][];
  /** Rows still to run per item. */
  pending: number[];
  hits: number;
}

/** Whether a batch's rows want target log-probabilities (all of them) or logits (none). */
function rowsWantTargets(rows: readonly RowRequest[]): boolean {
  const n = rows.filter((r) => r.targets).length;
  if (n !== 0 && n !== rows.length) throw new SwayError('internal: a batch mixes target and logits rows', 'SWAY_RUNTIME', 3);
  return n > 0;
}

export class Engine {
  readonly stats: EngineStats = { forwardPasses: 0, batchesSent: 0, batchedRows: 0, maxBatchSize: 0, loadSeconds: 0, buildSeconds: 0, sessionSeconds: 0, cacheHits: 0, cacheMisses: 0, sessionCache: 'off' };
  private readonly distCache = new AnswerCache();
  /** Rolling and completion logprobs already computed (null calibration re-scores the base view once per seed). */
  private readonly rollingCache = new LruMap<RollingLogprob>(1024, answerBytes, 64 << 20);
  private readonly logprobCache = new LruMap<number>(8192);
  /** Packed LoRA feeds of the last few views (tests read `packs` to count re-packing). */
  readonly packedViews = new PackedViewCache();
  private closed = false;
  private forwardLogits = FORWARD_LOGITS;
  /** The warm-start entry still being synced and renamed into place (awaited by close). */
  private pendingCache: Promise<unknown> | null = null;

  private constructor(
    readonly arch: ArchSpec,
    readonly tokenizer: Tokenizer,
    readonly adapter: LoadedAdapter | null,
    private session: ort.InferenceSession,
    private readonly views: ViewResolver,
    private readonly layout: FeedLayout,
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
    const opened = withLegacyNames(SafetensorsSource.openDir(baseDir), familyTraits(arch.family).legacyPrefixes);
    try {
      const weights = checkArchAgainstWeights(arch, opened, baseDir);
      const adapter = adapterDir ? loadAdapter(adapterDir, arch, weights) : null;
      const source = withBaseTensors(weights, adapter);
      const { groups, overrides, doraBase } = prepareModel(arch, adapter, source);
      const maxPositions = Math.min(options.maxPositions ?? 2048, arch.maxPositionEmbeddings);
      const tBuild = performance.now();
      const threads = options.threads ?? Math.max(1, Math.min(8, (await import('node:os')).availableParallelism()));
      const timing = { session: 0 };
      const useDora = adapter?.useDora ?? false;
      const baseHash = hashDirFiles(baseDir, BASE_IDENTITY_FILES);
      const plan = { arch, groups, dora: useDora, overrides, maxPositions };
      const cacheRoot = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
      const cache = cacheRoot ? { root: cacheRoot, key: cacheKey(plan, baseHash, adapter?.contentHash ?? null, (adapter?.baseTensors?.size ?? 0) > 0) } : null;
      const created = await createSession(plan, source, threads, timing, cache);
      const { session, hasOverrides } = created;
      const tSession = timing.session;
      const layout: FeedLayout = { arch, groups, useDora, hasOverrides };
      const engine = new Engine(arch, tokenizer, adapter, session, new ViewResolver(adapter, groups, doraBase), layout, baseDir, baseHash, maxPositions);
      engine.stats.sessionCache = created.cache;
      if (options.forwardLogits !== undefined) engine.forwardLogits = Math.max(1, options.forwardLogits);
      engine.pendingCache = created.pending;
      engine.stats.loadSeconds = (performance.now() - t0) / 1000;
      engine.stats.buildSeconds = (tSession - tBuild) / 1000;
      engine.stats.sessionSeconds = (performance.now() - tSession) / 1000;
      return engine;
    } finally {
      opened.close();
    }
  }

  /** LoRA groups of the loaded graph (tests, tools). */
  get groups(): readonly LoraGroup[] {
    return this.layout.groups;
  }

  resolveView(v: ViewSpec): ResolvedView {
    return this.views.resolve(v);
  }

  /** Stable identity for caches: content of base and adapter plus engine version. */
  identity(): string {
    return engineIdentity(this.baseHash, this.adapter?.contentHash ?? null);
  }

  private checkLength(n: number): void {
    if (n > this.maxPositions) {
      throw new SwayError(`input of ${n} tokens exceeds the engine's ${this.maxPositions}-position limit; shorten the prompt`, 'SWAY_INPUT', 2);
    }
  }

  /**
   * One batched forward; returns per row the logits [positions.length * V], or, when the rows
   * name their targets, the targets' log-probabilities [positions.length] (computed in the graph).
   */
  private async forwardRows(rows: RowRequest[]): Promise<Float32Array[]> {
    if (this.closed) throw new SwayError('engine is closed', 'SWAY_RUNTIME', 3);
    const B = rows.length;
    const { feeds: tokens, S, P } = tokenFeeds(rows, this.tokenizer.padTokenId ?? 0);
    this.checkLength(S);
    const feeds = { ...tokens, ...viewFeeds(this.layout, rows.map((r) => r.view), this.packedViews), ...emptyPastFeeds(this.arch, B) };
    const t0 = performance.now();
    const wantTargets = rowsWantTargets(rows);
    const out = await this.session.run(feeds, [wantTargets ? 'target_logprobs' : 'logits']);
    this.countForward(rows.map((r) => r.view.id), rows.reduce((n, r) => n + r.ids.length, 0), t0);
    if (wantTargets) {
      const values = (out['target_logprobs'] as ort.Tensor).data as Float32Array;
      return rows.map((r, b) => values.subarray(b * P, b * P + r.positions.length));
    }
    const logits = (out['logits'] as ort.Tensor).data as Float32Array;
    const V = this.arch.vocabSize;
    // Views into the one output buffer: no per-row copies of vocabulary-sized logits.
    return rows.map((r, b) => logits.subarray(b * P * V, (b * P + r.positions.length) * V));
  }

  /** Stats and trace of one batched forward (rows given by their view ids) that started at `t0`. */
  private countForward(viewIds: readonly string[], tokens: number, t0: number): void {
    const B = viewIds.length;
    if (tracing()) recordTrace({ op: 'forward', view: viewLabel(viewIds), rows: B, tokens, ms: performance.now() - t0, cache_hit: false });
    this.stats.forwardPasses += 1;
    this.stats.batchesSent += 1;
    this.stats.batchedRows += B;
    this.stats.maxBatchSize = Math.max(this.stats.maxBatchSize, B);
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
    const out: TokenDist[][] = resolved.map(() => new Array<TokenDist>(prompts.length));
    const rows: RowRequest[] = [];
    const slots: [number, number][] = [];
    resolved.forEach((view, vi) => {
      encoded.forEach((ids, pi) => {
        const hit = this.distCache.get(answerKey(views[vi]!, topK, prompts[pi]!));
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
    const hits = resolved.length * prompts.length - rows.length;
    if (hits > 0 && tracing()) recordTrace({ op: 'cache', view: viewLabel(resolved.map((v) => v.id)), rows: hits, tokens: 0, ms: 0, cache_hit: true });
    if (rows.length) {
      const V = this.arch.vocabSize;
      await this.forwardChunked(rows, (r, lg) => {
        const [vi, pi] = slots[r] as [number, number];
        const d = topKFromLogits(lg, 0, V, topK);
        out[vi]![pi] = d;
        this.distCache.set(answerKey(views[vi]!, topK, prompts[pi]!), d);
      });
    }
    return out;
  }

  /**
   * Completion logprob sums for every (view, pair) in length-ordered batched forwards:
   * result[v][p]. `onPair` hears how many pairs have every view scored, as forwards return.
   */
  async logprobsOf(views: readonly ViewSpec[], pairs: readonly { prompt: string; completion: string }[], onPair?: (done: number) => void): Promise<number[][]> {
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
    const out = views.map(() => new Array<number>(prepared.length));
    const keyOf = (vi: number, pi: number) => `${viewCacheKey(views[vi]!)}|${pairs[pi]!.prompt}\u0000${pairs[pi]!.completion}`;
    const plan = this.planRows(views, prepared.length, keyOf, this.logprobCache, out, (pi) => prepared[pi]!.full, (pi) => prepared[pi]!.positions);
    await this.runPlan(plan, onPair, (vi, pi, values, from, last) => {
      let total = from === 0 ? 0 : (out[vi]![pi] as number);
      for (const v of values) total += v;
      out[vi]![pi] = total;
      if (last) this.logprobCache.set(keyOf(vi, pi), total);
    });
    return out;
  }

  async rollingLogprob(view: ViewSpec, text: string): Promise<RollingLogprob> {
    return (await this.rollingLogprobs([view], [text]))[0]![0]!;
  }

  /**
   * Rolling logprobs of every (view, text) in length-ordered batched forwards: result[v][t].
   * `onText` hears how many texts have every view scored, as forwards return.
   */
  async rollingLogprobs(views: readonly ViewSpec[], texts: readonly string[], onText?: (done: number) => void): Promise<RollingLogprob[][]> {
    const encoded = texts.map((t) => this.encode(t));
    const out = views.map(() => new Array<RollingLogprob>(texts.length));
    if (texts.length === 0 || views.length === 0) return out;
    const short = (ids: number[]): RollingLogprob => ({ tokenIds: Int32Array.from(ids), logprobs: new Float64Array(0), numTokens: ids.length, totalLogprob: 0 });
    encoded.forEach((ids, ti) => {
      if (ids.length < 2) views.forEach((_, vi) => (out[vi]![ti] = short(ids)));
    });
    const keyOf = (vi: number, ti: number) => `${viewCacheKey(views[vi]!)}|${texts[ti]!}`;
    const scored = (ti: number) => encoded[ti]!.length >= 2;
    const plan = this.planRows(views, texts.length, keyOf, this.rollingCache, out, (ti) => encoded[ti]!, (ti) => encoded[ti]!.slice(0, -1).map((_, i) => i), scored);
    const partial = new Map<string, Float64Array>();
    await this.runPlan(plan, onText, (vi, ti, values, from, last) => {
      const ids = encoded[ti]!;
      const key = `${vi}|${ti}`;
      const lps = partial.get(key) ?? new Float64Array(ids.length - 1);
      lps.set(values, from);
      if (!last) {
        partial.set(key, lps);
        return;
      }
      partial.delete(key);
      let total = 0;
      for (const v of lps) total += v;
      const r: RollingLogprob = { tokenIds: Int32Array.from(ids), logprobs: lps, numTokens: ids.length, totalLogprob: total };
      out[vi]![ti] = r;
      this.rollingCache.set(keyOf(vi, ti), r);
    });
    return out;
  }

  /**
   * The rows a multi-view scoring call still has to run: every (view, item) whose answer is
   * neither cached (then it is filled into `out` here) nor excluded by `wanted`.
   */
  private planRows<T>(
    views: readonly ViewSpec[],
    items: number,
    keyOf: (vi: number, item: number) => string,
    cache: LruMap<T>,
    out: T[][],
    ids: (item: number) => number[],
    positions: (item: number) => number[],
    wanted: (item: number) => boolean = () => true,
  ): RowPlan {
    const resolved = views.map((v) => this.resolveView(v));
    const plan: RowPlan = { rows: [], slots: [], pending: new Array<number>(items).fill(0), hits: 0 };
    // Scoring: the target at each position is the next token, so the graph returns its log-probability.
    const scored = new Map<number, { ids: number[]; positions: number[]; targets: number[] }>();
    const rowOf = (it: number) => {
      let s = scored.get(it);
      if (!s) {
        const rowIds = ids(it);
        const pos = positions(it);
        s = { ids: rowIds, positions: pos, targets: pos.map((p) => rowIds[p + 1] as number) };
        scored.set(it, s);
      }
      return s;
    };
    resolved.forEach((view, vi) => {
      for (let it = 0; it < items; it++) {
        if (!wanted(it)) continue;
        const hit = cache.get(keyOf(vi, it));
        if (hit !== undefined) {
          out[vi]![it] = hit;
          plan.hits++;
          continue;
        }
        plan.rows.push({ view, ...rowOf(it) });
        plan.slots.push([vi, it]);
        plan.pending[it]! += 1;
      }
    });
    if (plan.hits > 0 && tracing()) recordTrace({ op: 'cache', view: viewLabel(resolved.map((v) => v.id)), rows: plan.hits, tokens: 0, ms: 0, cache_hit: true });
    return plan;
  }

  /**
   * Runs a plan's rows; `consume` gets each row's target log-probabilities from position index
   * `from` on, in one part or (a long row in segments) several, `last` on the final one.
   * `onItem` hears the number of items with every view done.
   */
  private async runPlan(plan: RowPlan, onItem: ((done: number) => void) | undefined, consume: (vi: number, item: number, values: Float32Array, from: number, last: boolean) => void): Promise<void> {
    let done = plan.pending.filter((n) => n === 0).length;
    if (done > 0) onItem?.(done);
    await this.forwardChunked(plan.rows, (r, values, from) => {
      const [vi, it] = plan.slots[r] as [number, number];
      const last = from + values.length >= (plan.rows[r] as RowRequest).positions.length;
      consume(vi, it, values, from, last);
      if (!last) return;
      plan.pending[it]! -= 1;
      if (plan.pending[it] === 0) onItem?.(++done);
    });
  }

  /**
   * Splits very large batches so one forward stays within a sane memory budget (tokens in,
   * and rows × positions × vocabulary logits out), and hands each row's logits to `consume`
   * (with the row's index, and the index in the row's `positions` of the first position
   * given) as its forward returns, so no more than one forward's logits are alive at a time.
   * Rows go in order of length (then positions), so a forward pads little: every padded token
   * and every repeated head position is computed like a real one. The longest rows go first:
   * onnxruntime's arena then grows once, to the largest forward, and every later forward fits
   * in it. A row that alone would exceed the budget runs first, by itself, in segments with
   * the KV cache (`forwardSegmented`), its positions handed on segment by segment.
   */
  private async forwardChunked(rows: RowRequest[], consume: (row: number, logits: Float32Array, from: number) => void): Promise<void> {
    const maxTokens = FORWARD_TOKENS;
    const maxLogits = this.forwardLogits;
    const V = this.arch.vocabSize;
    const segment = this.segmentLength();
    const long = (r: RowRequest) => segment !== null && (r.ids.length > SEGMENT_ABOVE_TOKENS || r.positions.length * V > maxLogits);
    for (const [i, r] of rows.entries()) if (long(r)) await this.forwardSegmented(r, segment as number, (lg, from) => consume(i, lg, from));
    const order = rows.map((_, i) => i).filter((i) => !long(rows[i]!)).sort((a, b) => rows[b]!.ids.length - rows[a]!.ids.length || rows[b]!.positions.length - rows[a]!.positions.length || a - b);
    let chunk: RowRequest[] = [];
    let chunkIdx: number[] = [];
    let maxP = 0;
    const flush = async () => {
      (await this.forwardRows(chunk)).forEach((lg, i) => consume(chunkIdx[i] as number, lg, 0));
      chunk = [];
      chunkIdx = [];
      maxP = 0;
    };
    for (const i of order) {
      const r = rows[i] as RowRequest;
      const P = Math.max(maxP, r.positions.length);
      // Sorted longest first, so the chunk's first row sets its padded width.
      const width = chunk.length ? (chunk[0] as RowRequest).ids.length : r.ids.length;
      if (chunk.length && ((chunk.length + 1) * width * (P > 1 ? 2 : 1) > maxTokens || (chunk.length + 1) * P * V > maxLogits)) await flush();
      chunk.push(r);
      chunkIdx.push(i);
      maxP = Math.max(maxP, r.positions.length);
    }
    if (chunk.length) await flush();
  }

  /**
   * Tokens per segment when a long row runs in pieces (the logits budget's worth of
   * positions, at least 16), or null where pieces would change the result: LongRoPE picks
   * its factors from the whole length, which a piece does not see.
   */
  private segmentLength(): number | null {
    if (this.arch.rope.scaling.type === 'longrope') return null;
    return Math.max(16, Math.min(SEGMENT_ABOVE_TOKENS, Math.floor(this.forwardLogits / this.arch.vocabSize)));
  }

  /**
   * One row in consecutive segments of at most `segment` tokens, each continuing the KV
   * cache of the ones before: the same attention as one forward, with memory bounded by the
   * segment (logits, attention scores) instead of the row. `row.positions` must ascend.
   */
  private async forwardSegmented(row: RowRequest, segment: number, consume: (logits: Float32Array, from: number) => void): Promise<void> {
    if (this.closed) throw new SwayError('engine is closed', 'SWAY_RUNTIME', 3);
    this.checkLength(row.ids.length);
    const V = this.arch.vocabSize;
    const viewPart = viewFeeds(this.layout, [row.view], this.packedViews);
    const cache = new SegmentCache(this.arch, row.ids.length);
    const output = row.targets ? 'target_logprobs' : 'logits';
    let k = 0;
    for (let start = 0; start < row.ids.length; start += segment) {
      const end = Math.min(row.ids.length, start + segment);
      const from = k;
      const local: number[] = [];
      while (k < row.positions.length && (row.positions[k] as number) < end) local.push((row.positions[k++] as number) - start);
      const more = end < row.ids.length;
      const t0 = performance.now();
      const targets = row.targets ? row.targets.slice(from, k) : undefined;
      const feeds = stepFeeds([row.ids.slice(start, end)], end, local.length ? local : [end - start - 1], targets && [targets], more ? end - start : 0);
      const res = await this.session.run({ ...viewPart, ...feeds, ...cache.past }, [output, ...(more ? cache.outputs : [])]);
      this.countForward([row.view.id], end - start, t0);
      if (more) cache.store(res, start, end - start);
      if (local.length) consume(((res[output] as ort.Tensor).data as Float32Array).subarray(0, local.length * (row.targets ? 1 : V)), from);
    }
  }

  /** Greedy (temperature 0) or seeded sampled generation with the KV cache. */
  async generate(view: ViewSpec, prompt: string, options: GenerateOptions): Promise<string> {
    return (await this.generateViews([view], prompt, options))[0] as string;
  }

  /** The same prompt generated under several views in one lockstep batched decode: result[v]. */
  async generateViews(views: readonly ViewSpec[], prompt: string, options: GenerateOptions): Promise<string[]> {
    const ids = this.encode(prompt);
    const out = await this.generateIdsViews(views.map((v) => this.resolveView(v)), ids, options);
    return out.map((o) => this.finishText(o, options.stop));
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
    return (await this.generateIdsViews([view], promptIds, options))[0] as number[];
  }

  /**
   * Generation of one prompt under several views at once: each view is a row of one batched
   * decode with the KV cache, all rows the same length, so they step together. A row that
   * reaches EOS or a stop string leaves the batch (its cache rows are dropped); each row
   * samples from its own RNG seeded as a one-view run would be, so every row's tokens are
   * what `generateIds` gives that view alone. Returns the generated ids per view.
   */
  async generateIdsViews(views: readonly ResolvedView[], promptIds: number[], options: GenerateOptions): Promise<number[][]> {
    if (promptIds.length === 0) throw new ProbeError('generate', 'prompt tokenized to zero tokens');
    if (views.length === 0) return [];
    const temperature = options.temperature ?? 0;
    const topP = options.topP ?? 1;
    const rngs = views.map(() => new Rng(options.seed ?? 0));
    const V = this.arch.vocabSize;
    const eos = new Set(this.tokenizer.eosTokenIds);
    this.checkLength(promptIds.length + options.maxNewTokens);
    const kvNames = presentNames(this.arch);
    const generated: number[][] = views.map(() => []);
    /** The view index of each row still decoding. */
    let active = views.map((_, i) => i);
    let viewPart = viewFeeds(this.layout, views, this.packedViews);
    let past: Record<string, ort.Tensor> = emptyPastFeeds(this.arch, active.length);
    let inputs: number[][] = active.map(() => promptIds);
    let total = 0;
    const t0 = performance.now();
    const rope = this.arch.rope.scaling;
    const original = rope.type === 'longrope' ? rope.originalMaxPositionEmbeddings : null;
    for (let step = 0; step < options.maxNewTokens; step++) {
      const width = (inputs[0] as number[]).length;
      if (original !== null && total > 0 && total <= original && total + width > original) {
        // LongRoPE switches to its long factors past the original length; the cached keys were
        // rotated with the short ones, so everything is re-encoded (as transformers does).
        inputs = active.map((v) => [...promptIds, ...(generated[v] as number[])]);
        past = emptyPastFeeds(this.arch, active.length);
        total = 0;
      }
      total += (inputs[0] as number[]).length;
      const res = await this.session.run({ ...viewPart, ...stepFeeds(inputs, total), ...past }, ['logits', ...kvNames]);
      this.stats.forwardPasses += 1;
      const logits = (res['logits'] as ort.Tensor).data as Float32Array;
      const keep: number[] = [];
      const next: number[] = [];
      active.forEach((v, b) => {
        const tok = chooseToken(logSoftmax(logits, b * V, V), temperature, topP, rngs[v] as Rng);
        if (eos.has(tok)) return;
        const mine = generated[v] as number[];
        mine.push(tok);
        if (options.stop?.length && options.stop.some((s) => s && this.tokenizer.decode(mine, { skipSpecialTokens: true }).includes(s))) return;
        keep.push(b);
        next.push(tok);
      });
      if (keep.length === 0 || step === options.maxNewTokens - 1) break;
      past = nextPast(res, kvNames, keep);
      if (keep.length < active.length) {
        active = keep.map((b) => active[b] as number);
        viewPart = viewFeeds(this.layout, active.map((v) => views[v] as ResolvedView), this.packedViews);
      }
      inputs = next.map((t) => [t]);
    }
    if (tracing()) recordTrace({ op: 'generate', view: viewLabel(views.map((v) => v.id)), rows: views.length, tokens: generated.reduce((n, g) => n + promptIds.length + g.length, 0), ms: performance.now() - t0, cache_hit: false });
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
    await this.pendingCache;
  }
}
