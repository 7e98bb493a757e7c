/**
 * The `hf`-kind DifferentialBackend over the local ONNX engine. Views are feed sets of one
 * session; multi-view calls run every (view, prompt) pair as rows of one batched forward.
 */
import type { RollingLogprob, TokenDist } from '../core/results.js';
import { UsageError } from '../core/errors.js';
import { Scorer, generateText, loadEngine, type Engine, type EngineView, type ViewFeeds } from '../engine/index.js';
import type { DifferentialBackend, GenerateOptions, NullAdapterOptions, PreflightResult, ScoringView, TokenizerAccess, ViewSelector } from './contract.js';

export interface EngineBackendOptions {
  base: string;
  adapter: string;
  threads?: number;
  /** Rows per forward in multi-view calls. */
  maxBatchRows?: number;
}

const CACHE_SIZE = 256;

/** View ids as cache namespaces (cli-backends.md §5). */
export function viewId(sel: ViewSelector): string {
  switch (sel.kind) {
    case 'base':
      return 'base';
    case 'ft':
      return 'ft';
    case 'scaled':
      return `scaled_${sel.lambda.toFixed(2)}`;
    case 'null': {
      const r = sel.rankScale ?? 1;
      return r === 1 ? `null_${sel.seed}` : `null_${sel.seed}_rank${r.toFixed(2)}`;
    }
  }
}

function toEngineView(sel: ViewSelector): EngineView {
  if (sel.kind === 'scaled') {
    if (!Number.isFinite(sel.lambda)) throw new UsageError(`scaled adapter view: λ must be finite, got ${sel.lambda}`);
    return { kind: 'scaled', lambda: sel.lambda };
  }
  if (sel.kind === 'null') {
    const rankScale = sel.rankScale ?? 1;
    if (!Number.isFinite(rankScale) || rankScale <= 0) throw new UsageError(`null adapter: rank_scale must be finite and > 0, got ${rankScale}; fix rank_multipliers in the null_adapter probe`);
    return { kind: 'null', seed: sel.seed, rankScale, initScale: sel.initScale };
  }
  return sel;
}

export class EngineBackend implements DifferentialBackend {
  readonly kind = 'hf';
  private active: string | null = null;
  private readonly scorer: Scorer;
  private readonly cache = new Map<string, unknown>();
  private readonly counters = { cache_hits: 0, cache_misses: 0, forward_passes: 0, batches_sent: 0, batched_prompts: 0, max_batch_size: 0, scoring_wall_s: 0 };
  private closed = false;

  constructor(
    readonly engine: Engine,
    private readonly maxBatchRows = 32,
  ) {
    this.scorer = new Scorer(engine.session, engine.tokenizer);
  }

  private feeds(sel: ViewSelector): ViewFeeds {
    return this.engine.views.feeds(toEngineView(sel));
  }

  private async cached<T>(key: string, compute: () => Promise<T>): Promise<T> {
    if (this.cache.has(key)) {
      const v = this.cache.get(key) as T;
      this.cache.delete(key);
      this.cache.set(key, v);
      this.counters.cache_hits++;
      return v;
    }
    const t0 = performance.now();
    const v = await compute();
    this.counters.scoring_wall_s += (performance.now() - t0) / 1000;
    this.counters.cache_misses++;
    this.counters.forward_passes++;
    this.cache.set(key, v);
    while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    return v;
  }

  private makeView(id: string, sel: ViewSelector): ScoringView {
    const feeds = this.feeds(sel);
    return {
      id,
      logprobOf: (prompt, completion) => this.cached(`logprob_of\0${prompt}\0${completion}\0${id}`, async () => (await this.scorer.logprobs([{ view: feeds, prompt, completion }]))[0]!),
      rollingLogprob: (text): Promise<RollingLogprob> => this.cached(`rolling\0${text}\0${id}`, () => this.scorer.rolling(feeds, text)),
      nextTokenDist: (prompt, topK = 256): Promise<TokenDist> => this.cached(`next\0${topK}\0${prompt}\0${id}`, async () => (await this.scorer.nextTokenDists([{ view: feeds, prompt }], topK))[0]!),
      nextTokenDistBatch: async (prompts, topK = 256) => (await this.nextTokenDistViews([sel], prompts, topK))[0]!,
      generate: (prompt: string, options: GenerateOptions) => generateText(this.engine.session, this.engine.tokenizer, feeds, this.scorer.encodePrompt(prompt), options),
    };
  }

  private async enter<T>(sel: ViewSelector, fn: (v: ScoringView) => Promise<T>): Promise<T> {
    const id = viewId(sel);
    if (this.closed) throw new Error('engine backend is closed');
    if (this.active !== null) throw new Error(`DifferentialBackend view already active ('${this.active}'); exit the current view before entering '${id}'.`);
    const view = this.makeView(id, sel);
    this.active = id;
    try {
      return await fn(view);
    } finally {
      this.active = null;
    }
  }

  asBase<T>(fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.enter({ kind: 'base' }, fn);
  }

  asFinetuned<T>(fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.enter({ kind: 'ft' }, fn);
  }

  asScaledAdapter<T>(lambda: number, fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.enter({ kind: 'scaled', lambda }, fn);
  }

  asNullAdapter<T>(seed: number, options: NullAdapterOptions, fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.enter({ kind: 'null', seed, rankScale: options.rankScale ?? 1, initScale: options.initScale ?? 0.02 }, fn);
  }

  /** Every (view, item) pair not cached runs as rows of batched forwards; results [view][item]. */
  private async multiView<I, R>(views: readonly ViewSelector[], items: readonly I[], keyOf: (item: I) => string, run: (reqs: { view: ViewFeeds; item: I }[]) => Promise<R[]>): Promise<R[][]> {
    const out: R[][] = views.map(() => new Array<R>(items.length));
    const misses: { v: number; i: number; key: string; view: ViewFeeds }[] = [];
    views.forEach((sel, v) => {
      const id = viewId(sel);
      const feeds = this.feeds(sel);
      items.forEach((item, i) => {
        const key = `${keyOf(item)}\0${id}`;
        if (this.cache.has(key)) {
          this.counters.cache_hits++;
          out[v]![i] = this.cache.get(key) as R;
        } else misses.push({ v, i, key, view: feeds });
      });
    });
    if (misses.length === 0) return out;
    const t0 = performance.now();
    for (let s = 0; s < misses.length; s += this.maxBatchRows) {
      const chunk = misses.slice(s, s + this.maxBatchRows);
      const results = await run(chunk.map((m) => ({ view: m.view, item: items[m.i]! })));
      chunk.forEach((m, j) => {
        out[m.v]![m.i] = results[j]!;
        this.cache.set(m.key, results[j]);
      });
    }
    while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    this.counters.scoring_wall_s += (performance.now() - t0) / 1000;
    this.counters.batches_sent++;
    this.counters.batched_prompts += misses.length;
    this.counters.cache_misses += misses.length;
    this.counters.forward_passes += misses.length;
    this.counters.max_batch_size = Math.max(this.counters.max_batch_size, misses.length);
    return out;
  }

  nextTokenDistViews(views: readonly ViewSelector[], prompts: readonly string[], topK = 256): Promise<TokenDist[][]> {
    return this.multiView(views, prompts, (p) => `next\0${topK}\0${p}`, (reqs) => this.scorer.nextTokenDists(reqs.map((r) => ({ view: r.view, prompt: r.item })), topK));
  }

  logprobOfViews(views: readonly ViewSelector[], pairs: readonly { prompt: string; completion: string }[]): Promise<number[][]> {
    return this.multiView(views, pairs, (p) => `logprob_of\0${p.prompt}\0${p.completion}`, (reqs) => this.scorer.logprobs(reqs.map((r) => ({ view: r.view, ...r.item }))));
  }

  async preflightFiniteCheck(): Promise<PreflightResult> {
    const prompt = 'hello';
    try {
      for (const side of ['base', 'ft'] as const) {
        const d = await (side === 'base' ? this.asBase((v) => v.nextTokenDist(prompt, 8)) : this.asFinetuned((v) => v.nextTokenDist(prompt, 8)));
        let bad = 0;
        for (const lp of d.logprobs) if (!Number.isFinite(lp)) bad++;
        if (bad > 0) {
          return {
            ok: false,
            reason: `${side} view produced ${bad}/${d.logprobs.length} non-finite logprob(s) on prompt '${prompt}' — adapter is likely broken (NaN/inf weights). sway refuses to score a model producing non-finite outputs.`,
          };
        }
        if (d.tailLogprob !== null && !Number.isFinite(d.tailLogprob)) return { ok: false, reason: `${side} view produced non-finite tail_logprob = ${d.tailLogprob}` };
      }
    } catch (err) {
      const e = err as Error;
      return { ok: false, reason: `preflight forward pass raised ${e.name}: ${e.message}` };
    }
    return { ok: true, reason: '' };
  }

  identity(): string {
    return this.engine.identity();
  }

  tokenizer(): TokenizerAccess {
    const tok = this.engine.tokenizer;
    return {
      hasChatTemplate: () => tok.hasChatTemplate(),
      applyChatTemplate: (messages, addGenerationPrompt) => tok.applyChatTemplate(messages, { addGenerationPrompt }),
      encode: (text) => tok.encode(text, { addSpecialTokens: true }),
      decode: (ids) => tok.decode(ids, { skipSpecialTokens: true }),
    };
  }

  stats(): Record<string, number> {
    const c = this.counters;
    const lookups = c.cache_hits + c.cache_misses;
    return {
      ...c,
      hit_rate: lookups ? c.cache_hits / lookups : 0,
      avg_batch_size: c.batches_sent ? c.batched_prompts / c.batches_sent : 0,
      engine_forward_calls: this.engine.session.stats.forwardPasses,
      engine_rows: this.engine.session.stats.batchedRows,
      load_ms: this.engine.loadMs,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cache.clear();
    await this.engine.close();
  }
}

export async function createEngineBackend(options: EngineBackendOptions): Promise<EngineBackend> {
  const engine = await loadEngine({ base: options.base, adapter: options.adapter, threads: options.threads });
  return new EngineBackend(engine, options.maxBatchRows);
}
