/**
 * The `http` backend: the backend contract over an OpenAI-compatible completions server
 * (vLLM, llama.cpp-family servers). Views are served model names (see remote-views.ts);
 * multi-view calls send every (view, prompt) request at once, up to `concurrency`.
 */
import type { RollingLogprob, TokenDist } from '../../core/results.js';
import { isSwayError } from '../../core/errors.js';
import { validateRankScale } from '../../engine/adapter/null.js';
import { viewId } from '../../engine/views.js';
import type { DifferentialBackend, GenerateOptions, NullAdapterOptions, PreflightResult, ScoringView, ViewSelector } from '../contract.js';
import { ViewGuard } from '../view-guard.js';
import { HttpClient } from './client.js';
import type { HttpBackendOptions } from './options.js';
import { checkServer, type ServerCheck } from './preflight.js';
import { RemoteViews, canonicalView, type ViewLease } from './remote-views.js';
import { HttpView, type ViewContext } from './view.js';

const LLAMA_CPP_PYTHON_NEUTRAL = { repeat_penalty: 1.0, top_k: 0, min_p: 0 };

export class HttpBackend implements DifferentialBackend {
  readonly kind = 'http';
  readonly client: HttpClient;
  readonly remote: RemoteViews;
  readonly warnings: string[] = [];
  asScaledAdapter?: <T>(lambda: number, fn: (view: ScoringView) => Promise<T>) => Promise<T>;
  asNullAdapter?: <T>(seed: number, options: NullAdapterOptions, fn: (view: ScoringView) => Promise<T>) => Promise<T>;
  private readonly guard = new ViewGuard();
  private readonly ctx: ViewContext;
  private server: ServerCheck | null = null;

  constructor(readonly options: HttpBackendOptions) {
    this.client = new HttpClient({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      apiKeySource: options.apiKeySource,
      timeoutS: options.timeoutS,
      concurrency: options.concurrency,
      retries: options.retries,
      ...(options.backoffMs ? { backoffMs: options.backoffMs } : {}),
    });
    this.remote = new RemoteViews(options, this.client);
    this.ctx = { client: this.client, shiftedEcho: false, neutralSampling: {}, nextTokenExtra: {}, echoMaxTokens: 1, topLogprobs: options.topLogprobs, vocabSize: options.vocabSize, cache: new Map(), counters: { cacheHits: 0 } };
    if (this.remote.offers('scaled')) this.asScaledAdapter = (lambda, fn) => this.open({ kind: 'scaled', lambda }, fn);
    if (this.remote.offers('null')) {
      this.asNullAdapter = async (seed, o, fn) => {
        validateRankScale(o.rankScale ?? 1);
        return this.open({ kind: 'null', seed, ...(o.initScale !== undefined ? { initScale: o.initScale } : {}), rankScale: o.rankScale ?? 1 }, fn);
      };
    }
  }

  /** Contacts the server once: reachable, key accepted, served names present. Throws HttpBackendError otherwise. */
  async connect(): Promise<this> {
    this.server = await checkServer(this.client, this.options);
    const llamaCppPython = this.server.flavor === 'llama-cpp-python';
    this.ctx.shiftedEcho = llamaCppPython;
    this.ctx.neutralSampling = llamaCppPython ? LLAMA_CPP_PYTHON_NEUTRAL : {};
    if (this.server.flavor === 'vllm') {
      this.ctx.nextTokenExtra = { return_tokens_as_token_ids: true };
      // vLLM answers max_tokens 0 with echo by returning the prompt's logprobs alone.
      this.ctx.echoMaxTokens = 0;
    }
    this.warnings.push(...this.server.warnings);
    return this;
  }

  private async open<T>(v: ViewSelector, fn: (view: ScoringView) => Promise<T>): Promise<T> {
    const id = viewId(v);
    return this.guard.run(id, async () => {
      // The served name (and a runtime adapter load) is resolved on the view's first request.
      let pending: Promise<ViewLease> | null = null;
      const name = () => (pending ??= this.remote.acquire(v)).then((l) => l.name);
      try {
        return await fn(new HttpView(id, name, this.ctx));
      } finally {
        const lease = pending ? await (pending as Promise<ViewLease>).catch(() => null) : null;
        await lease?.release();
      }
    });
  }

  asBase<T>(fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.open({ kind: 'base' }, fn);
  }

  asFinetuned<T>(fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.open({ kind: 'ft' }, fn);
  }

  /** Leases every view, runs `fn` per view concurrently, releases them all. */
  private async acrossViews<R>(views: readonly ViewSelector[], fn: (view: HttpView) => Promise<R>): Promise<R[]> {
    for (const v of views) if (v.kind === 'null') validateRankScale(v.rankScale ?? 1);
    const leases = await Promise.all(views.map((v) => this.remote.acquire(v)));
    try {
      return await Promise.all(views.map((v, i) => fn(new HttpView(viewId(canonicalView(v)), async () => leases[i]!.name, this.ctx))));
    } finally {
      await Promise.all(leases.map((l) => l.release()));
    }
  }

  nextTokenDistViews(views: readonly ViewSelector[], prompts: readonly string[], topK?: number): Promise<TokenDist[][]> {
    return this.acrossViews(views, (v) => v.nextTokenDistBatch(prompts, topK));
  }

  logprobOfViews(views: readonly ViewSelector[], pairs: readonly { prompt: string; completion: string }[]): Promise<number[][]> {
    return this.acrossViews(views, (v) => Promise.all(pairs.map((p) => v.logprobOf(p.prompt, p.completion))));
  }

  generateViews(views: readonly ViewSelector[], prompt: string, options: GenerateOptions): Promise<string[]> {
    return this.acrossViews(views, (v) => v.generate(prompt, options));
  }

  rollingLogprobViews(views: readonly ViewSelector[], texts: readonly string[]): Promise<RollingLogprob[][]> {
    return this.acrossViews(views, (v) => Promise.all(texts.map((t) => v.rollingLogprob(t))));
  }

  async preflightFiniteCheck(): Promise<PreflightResult> {
    for (const v of [{ kind: 'base' }, { kind: 'ft' }] as const) {
      try {
        const [d] = await this.acrossViews([v], (view) => view.nextTokenDist('hello', Math.min(8, this.options.topLogprobs)));
        const bad = Array.from(d!.logprobs).filter((x) => !Number.isFinite(x)).length;
        if (bad > 0) return { ok: false, reason: `${v.kind} view produced ${bad}/${d!.logprobs.length} non-finite logprob(s) on prompt 'hello'` };
      } catch (err) {
        const msg = isSwayError(err) ? err.message : `${(err as Error).name}: ${(err as Error).message}`;
        return { ok: false, reason: `${v.kind} view: preflight request failed: ${msg}` };
      }
    }
    return { ok: true, reason: '' };
  }

  identity(): string {
    return `http:${this.options.baseUrl}:${this.remote.identity()}`;
  }

  stats(): Record<string, number> {
    const c = this.client.stats;
    return {
      http_requests: c.requests,
      http_retries: c.retries,
      http_failures: c.failures,
      cache_hits: this.ctx.counters.cacheHits,
      top_logprobs_allowed: this.options.topLogprobs,
      echo_realigned: this.ctx.shiftedEcho ? 1 : 0,
      ...this.remote.stats,
    };
  }

  /** What `sway doctor --spec` prints: served models and where each kind of view comes from. */
  describeViews(): { served: string[]; flavor: string; views: Record<string, string | null> } {
    const sample: ViewSelector[] = [{ kind: 'base' }, { kind: 'ft' }, { kind: 'scaled', lambda: 0.5 }, { kind: 'null', seed: 0 }];
    const out: Record<string, string | null> = {};
    for (const v of sample) out[viewId(v)] = this.remote.source(v);
    for (const [id, name] of Object.entries(this.options.views)) out[id] = `served model '${name}' (views.${id})`;
    return { served: this.server?.served ?? [], flavor: this.server?.flavor ?? this.options.server, views: out };
  }

  /** Nothing to free: views release their run-time adapters when they close; fetch keeps no state. */
  async close(): Promise<void> {}
}
