/**
 * A model-free DifferentialBackend for tests: canned tables per view with synthesised
 * defaults (a sharp base, a broad fine-tune), an interpolated λ view and deterministic
 * null views (base logprobs plus seeded Gaussian noise, renormalised within the top k).
 */
import type { RollingLogprob, TokenDist } from '../core/results.js';
import { Rng, deriveSeed } from '../core/rng.js';
import type {
  DifferentialBackend,
  GenerateOptions,
  NullAdapterOptions,
  PreflightResult,
  ScoringView,
  TokenizerAccess,
  ViewSelector,
} from './contract.js';

export interface DummyResponses {
  generations?: Record<string, string>;
  /** Keyed by `dummyPairKey(prompt, completion)`. */
  logprobs?: Record<string, number>;
  rolling?: Record<string, RollingLogprob>;
  tokenDists?: Record<string, TokenDist>;
}

export interface DummyBackendOptions {
  base?: DummyResponses;
  ft?: DummyResponses;
  /** Cache identity; the plain dummy has none and never touches the null-stats cache. */
  identity?: string;
  tokenizer?: TokenizerAccess | null;
}

export function dummyPairKey(prompt: string, completion: string): string {
  return `${prompt}\u0000${completion}`;
}

const VOCAB = 1000;
const K = 8;

export function makeTokenDist(ids: readonly number[], logprobs: readonly number[], vocabSize = VOCAB): TokenDist {
  let mass = 0;
  for (const lp of logprobs) mass += Math.exp(lp);
  const residual = 1 - mass;
  return {
    tokenIds: Int32Array.from(ids),
    logprobs: Float64Array.from(logprobs),
    vocabSize,
    tailLogprob: residual > 1e-12 ? Math.log(residual) : null,
  };
}

function defaultDist(mode: 'base' | 'ft'): TokenDist {
  const ids = Array.from({ length: K }, (_, i) => i);
  if (mode === 'base') return makeTokenDist(ids, [-0.1, -5, -5, -5, -5, -5, -5, -5]);
  return makeTokenDist(
    ids,
    // A tiny descending ramp keeps ids sorted by probability and avoids the uniformity guard.
    ids.map((i) => -Math.log(K) + (1e-4 - (2e-4 * i) / (K - 1))),
  );
}

function copyDist(d: TokenDist): TokenDist {
  return { tokenIds: d.tokenIds.slice(), logprobs: d.logprobs.slice(), vocabSize: d.vocabSize, tailLogprob: d.tailLogprob };
}

type Mode = 'base' | 'ft';

class Tables {
  constructor(
    private readonly r: DummyResponses,
    readonly mode: Mode,
  ) {}
  generate(prompt: string): string {
    const g = this.r.generations?.[prompt];
    if (g === undefined) throw new Error(`dummy backend (${this.mode}): no canned generation for prompt '${prompt}'`);
    return g;
  }
  logprobOf(prompt: string, completion: string): number {
    return this.r.logprobs?.[dummyPairKey(prompt, completion)] ?? -10.0;
  }
  rolling(text: string): RollingLogprob {
    const canned = this.r.rolling?.[text];
    if (canned) return canned;
    const n = Math.max(text.split(/\s+/).filter((t) => t).length, 1);
    const per = this.mode === 'base' ? -2.0 : -1.5;
    return {
      tokenIds: Int32Array.from({ length: n }, (_, i) => i),
      logprobs: new Float64Array(n - 1).fill(per),
      numTokens: n,
      totalLogprob: per * (n - 1),
    };
  }
  dist(prompt: string): TokenDist {
    const canned = this.r.tokenDists?.[prompt];
    return copyDist(canned ?? defaultDist(this.mode));
  }
}

/** Base dist + N(0, (initScale·√rankScale)²) noise on the logprobs, renormalised in the top k. */
function nullDist(base: TokenDist, prompt: string, seed: number, std: number): TokenDist {
  const rng = new Rng(deriveSeed(seed, prompt));
  const lp = base.logprobs.map((v) => v + rng.normal() * std);
  let max = -Infinity;
  for (const v of lp) max = Math.max(max, v);
  let s = 0;
  for (const v of lp) s += Math.exp(v - max);
  const lse = max + Math.log(s);
  return { tokenIds: base.tokenIds.slice(), logprobs: lp.map((v) => v - lse), vocabSize: base.vocabSize, tailLogprob: base.tailLogprob };
}

function blend(base: TokenDist, ft: TokenDist, lambda: number): TokenDist {
  if (base.logprobs.length !== ft.logprobs.length) {
    throw new Error(`dummy backend: scaled view needs base and ft dists of equal length (${base.logprobs.length} vs ${ft.logprobs.length})`);
  }
  return {
    tokenIds: base.tokenIds.slice(),
    logprobs: base.logprobs.map((b, i) => (1 - lambda) * b + lambda * (ft.logprobs[i] as number)),
    vocabSize: base.vocabSize,
    tailLogprob: base.tailLogprob,
  };
}

export function validateRankScale(rankScale: number): void {
  if (!Number.isFinite(rankScale) || rankScale <= 0) {
    throw new RangeError(`rank_scale must be finite and > 0; got ${rankScale}`);
  }
}

export class DummyDifferentialBackend implements DifferentialBackend {
  readonly kind = 'dummy';
  private readonly base: Tables;
  private readonly ft: Tables;
  private active: string | null = null;
  private readonly counters: Record<string, number> = { forward_passes: 0, null_forward_passes: 0, batches_sent: 0 };
  /** Present only when an identity was given (feature detection decides cache use). */
  declare identity?: () => string;
  private readonly tok: TokenizerAccess | null;

  constructor(options: DummyBackendOptions = {}) {
    this.base = new Tables(options.base ?? {}, 'base');
    this.ft = new Tables(options.ft ?? {}, 'ft');
    this.tok = options.tokenizer ?? null;
    const id = options.identity;
    if (id !== undefined) this.identity = () => id;
  }

  tokenizer(): TokenizerAccess | null {
    return this.tok;
  }

  stats(): Record<string, number> {
    return { ...this.counters };
  }

  private distFor(sel: ViewSelector, prompt: string): TokenDist {
    this.counters['forward_passes'] = (this.counters['forward_passes'] ?? 0) + 1;
    switch (sel.kind) {
      case 'base':
        return this.base.dist(prompt);
      case 'ft':
        return this.ft.dist(prompt);
      case 'scaled':
        return blend(this.base.dist(prompt), this.ft.dist(prompt), sel.lambda);
      case 'null': {
        const rankScale = sel.rankScale ?? 1.0;
        validateRankScale(rankScale);
        this.counters['null_forward_passes'] = (this.counters['null_forward_passes'] ?? 0) + 1;
        return nullDist(this.base.dist(prompt), prompt, sel.seed, (sel.initScale ?? 0.02) * Math.sqrt(rankScale));
      }
    }
  }

  private makeView(id: string, sel: ViewSelector): ScoringView {
    const textTables = sel.kind === 'ft' || (sel.kind === 'scaled' && sel.lambda >= 0.5) ? this.ft : this.base;
    const dist = (prompt: string): TokenDist => this.distFor(sel, prompt);
    return {
      id,
      logprobOf: async (prompt, completion) =>
        sel.kind === 'scaled'
          ? (1 - sel.lambda) * this.base.logprobOf(prompt, completion) + sel.lambda * this.ft.logprobOf(prompt, completion)
          : textTables.logprobOf(prompt, completion),
      rollingLogprob: async (text) => textTables.rolling(text),
      nextTokenDist: async (prompt) => dist(prompt),
      nextTokenDistBatch: async (prompts) => prompts.map(dist),
      generate: async (prompt: string, _options: GenerateOptions) => textTables.generate(prompt),
    };
  }

  private async enter<T>(id: string, sel: ViewSelector, fn: (v: ScoringView) => Promise<T>): Promise<T> {
    if (this.active !== null) {
      throw new Error(`DifferentialBackend view already active ('${this.active}'); exit the current view before entering '${id}'.`);
    }
    this.active = id;
    try {
      return await fn(this.makeView(id, sel));
    } finally {
      this.active = null;
    }
  }

  asBase<T>(fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.enter('base', { kind: 'base' }, fn);
  }

  asFinetuned<T>(fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.enter('ft', { kind: 'ft' }, fn);
  }

  asScaledAdapter<T>(lambda: number, fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.enter(`scaled_${lambda.toFixed(2)}`, { kind: 'scaled', lambda }, fn);
  }

  async asNullAdapter<T>(seed: number, options: NullAdapterOptions, fn: (view: ScoringView) => Promise<T>): Promise<T> {
    const rankScale = options.rankScale ?? 1.0;
    validateRankScale(rankScale);
    const id = rankScale === 1.0 ? `null_${seed}` : `null_${seed}_rank${rankScale.toFixed(2)}`;
    return this.enter(id, { kind: 'null', seed, initScale: options.initScale ?? 0.02, rankScale }, fn);
  }

  async nextTokenDistViews(views: readonly ViewSelector[], prompts: readonly string[]): Promise<TokenDist[][]> {
    this.counters['batches_sent'] = (this.counters['batches_sent'] ?? 0) + 1;
    return views.map((v) => prompts.map((p) => this.distFor(v, p)));
  }

  async preflightFiniteCheck(): Promise<PreflightResult> {
    const prompt = 'preflight';
    try {
      for (const side of ['base', 'ft'] as const) {
        const d = await (side === 'base' ? this.asBase((v) => v.nextTokenDist(prompt, 8)) : this.asFinetuned((v) => v.nextTokenDist(prompt, 8)));
        let bad = 0;
        for (const lp of d.logprobs) if (!Number.isFinite(lp)) bad++;
        if (bad > 0) return { ok: false, reason: `${side} view produced ${bad}/${d.logprobs.length} non-finite logprob(s) on prompt '${prompt}'` };
      }
    } catch (err) {
      const e = err as Error;
      return { ok: false, reason: `preflight raised ${e.name}: ${e.message}` };
    }
    return { ok: true, reason: '' };
  }
}

export function createDummyBackend(options: DummyBackendOptions = {}): DummyDifferentialBackend {
  return new DummyDifferentialBackend(options);
}
