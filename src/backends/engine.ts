/**
 * The `hf` backend: a local Hugging Face model + PEFT adapter run by the sway engine.
 * Every view is a feed set on one loaded session; multi-view calls run as rows of one
 * batched forward.
 */
import type { RollingLogprob, TokenDist } from '../core/results.js';
import { Engine, type LoadOptions } from '../engine/engine.js';
import type { ViewSpec } from '../engine/views.js';
import { viewId } from '../engine/views.js';
import { validateRankScale } from '../engine/adapter/null.js';
import type {
  ChatMessage,
  DifferentialBackend,
  GenerateOptions,
  NullAdapterOptions,
  PreflightResult,
  ScoringView,
  TokenizerAccess,
  ViewSelector,
} from './contract.js';
import { ViewGuard } from './view-guard.js';

const DEFAULT_TOP_K = 256;

class EngineView implements ScoringView {
  readonly id: string;
  constructor(
    private readonly engine: Engine,
    private readonly spec: ViewSpec,
  ) {
    this.id = viewId(spec);
  }

  async logprobOf(prompt: string, completion: string): Promise<number> {
    const [[v]] = (await this.engine.logprobsOf([this.spec], [{ prompt, completion }])) as [[number]];
    return v;
  }

  rollingLogprob(text: string): Promise<RollingLogprob> {
    return this.engine.rollingLogprob(this.spec, text);
  }

  async nextTokenDist(prompt: string, topK = DEFAULT_TOP_K): Promise<TokenDist> {
    const [[d]] = (await this.engine.nextTokenDists([this.spec], [prompt], topK)) as [[TokenDist]];
    return d;
  }

  async nextTokenDistBatch(prompts: readonly string[], topK = DEFAULT_TOP_K): Promise<TokenDist[]> {
    if (prompts.length === 0) return [];
    const [dists] = (await this.engine.nextTokenDists([this.spec], prompts, topK)) as [TokenDist[]];
    return dists;
  }

  generate(prompt: string, options: GenerateOptions): Promise<string> {
    return this.engine.generate(this.spec, prompt, options);
  }
}

export function selectorToSpec(v: ViewSelector): ViewSpec {
  return v;
}

export class EngineBackend implements DifferentialBackend {
  readonly kind = 'hf';
  private readonly guard = new ViewGuard();

  private constructor(readonly engine: Engine) {}

  static async create(options: LoadOptions): Promise<EngineBackend> {
    return new EngineBackend(await Engine.load(options));
  }

  private open<T>(spec: ViewSpec, fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.guard.run(viewId(spec), () => fn(new EngineView(this.engine, spec)));
  }

  asBase<T>(fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.open({ kind: 'base' }, fn);
  }

  asFinetuned<T>(fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.open({ kind: 'ft' }, fn);
  }

  asScaledAdapter<T>(lambda: number, fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.open({ kind: 'scaled', lambda }, fn);
  }

  async asNullAdapter<T>(seed: number, options: NullAdapterOptions, fn: (view: ScoringView) => Promise<T>): Promise<T> {
    validateRankScale(options.rankScale ?? 1);
    return this.open({ kind: 'null', seed, scale: options.scale ?? 'matched', initScale: options.initScale ?? 0.02, rankScale: options.rankScale ?? 1 }, fn);
  }

  nextTokenDistViews(views: readonly ViewSelector[], prompts: readonly string[], topK = DEFAULT_TOP_K): Promise<TokenDist[][]> {
    return this.engine.nextTokenDists(views.map(selectorToSpec), prompts, topK);
  }

  logprobOfViews(views: readonly ViewSelector[], pairs: readonly { prompt: string; completion: string }[], onPair?: (done: number) => void): Promise<number[][]> {
    return this.engine.logprobsOf(views.map(selectorToSpec), pairs, onPair);
  }

  generateViews(views: readonly ViewSelector[], prompt: string, options: GenerateOptions): Promise<string[]> {
    return this.engine.generateViews(views.map(selectorToSpec), prompt, options);
  }

  rollingLogprobViews(views: readonly ViewSelector[], texts: readonly string[], onText?: (done: number) => void): Promise<RollingLogprob[][]> {
    return this.engine.rollingLogprobs(views.map(selectorToSpec), texts, onText);
  }

  async preflightFiniteCheck(): Promise<PreflightResult> {
    if (this.engine.adapter?.nonFinite.length) {
      return {
        ok: false,
        reason: `ft view: adapter tensor(s) hold non-finite values (NaN/Inf): ${this.engine.adapter.nonFinite.slice(0, 5).join(', ')} — the adapter is broken; sway refuses to score a model producing non-finite outputs.`,
      };
    }
    try {
      const [base, ft] = (await this.engine.nextTokenDists([{ kind: 'base' }, { kind: 'ft' }], ['hello'], 8)) as [[TokenDist], [TokenDist]];
      for (const [side, d] of [['base', base[0]], ['ft', ft[0]]] as const) {
        const bad = Array.from(d.logprobs).filter((x) => !Number.isFinite(x)).length;
        if (bad > 0) {
          return { ok: false, reason: `${side} view produced ${bad}/${d.logprobs.length} non-finite logprob(s) on prompt 'hello' — adapter is likely broken (NaN/inf weights). sway refuses to score a model producing non-finite outputs.` };
        }
        if (d.tailLogprob !== null && !Number.isFinite(d.tailLogprob)) return { ok: false, reason: `${side} view produced non-finite tail_logprob = ${d.tailLogprob}` };
      }
      return { ok: true, reason: '' };
    } catch (err) {
      return { ok: false, reason: `preflight forward pass raised ${(err as Error).name}: ${(err as Error).message}` };
    }
  }

  /** The adapter loader's warnings (e.g. saved modules such as a vision tower that a text forward never runs). */
  get warnings(): readonly string[] {
    return this.engine.adapter?.warnings ?? [];
  }

  identity(): string {
    return this.engine.identity();
  }

  maxInputTokens(): number {
    return this.engine.maxPositions;
  }

  tokenizer(): TokenizerAccess {
    const tok = this.engine.tokenizer;
    return {
      hasChatTemplate: () => tok.hasChatTemplate(),
      applyChatTemplate: (messages: readonly ChatMessage[], addGenerationPrompt: boolean) => tok.applyChatTemplate(messages, { addGenerationPrompt }),
      encode: (text: string) => tok.encode(text),
      decode: (ids: readonly number[]) => tok.decode(ids, { skipSpecialTokens: true }),
      padToken: () => (tok.padTokenId === null ? null : tok.tokenText(tok.padTokenId)),
      decodeKeepingSpecialTokens: (ids: readonly number[]) => tok.decode(ids, { skipSpecialTokens: false }),
    };
  }

  stats(): Record<string, number> {
    const s = this.engine.stats;
    return {
      cache_hits: s.cacheHits,
      cache_misses: s.cacheMisses,
      hit_rate: s.cacheHits + s.cacheMisses ? s.cacheHits / (s.cacheHits + s.cacheMisses) : 0,
      forward_passes: s.forwardPasses,
      batches_sent: s.batchesSent,
      batched_prompts: s.batchedRows,
      max_batch_size: s.maxBatchSize,
      avg_batch_size: s.batchesSent ? s.batchedRows / s.batchesSent : 0,
    };
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}

export function createEngineBackend(options: LoadOptions): Promise<EngineBackend> {
  return EngineBackend.create(options);
}
