/**
 * The dummy backend: canned responses for tests and offline examples. Unknown prompts get
 * deterministic synthetic answers (base peaked, ft flat), the scaled view blends base and
 * ft log-linearly, and null views add seeded noise to the base distribution.
 */
import { ProbeError } from '../core/errors.js';
import { Rng, deriveSeed } from '../core/rng.js';
import type { RollingLogprob, TokenDist } from '../core/results.js';
import { validateRankScale } from '../engine/adapter/null.js';
import type { DifferentialBackend, GenerateOptions, NullAdapterOptions, PreflightResult, ScoringView } from './contract.js';
import { ViewGuard } from './view-guard.js';

export interface DummyResponses {
  generations?: Record<string, string>;
  /** key: `${prompt}\u0000${completion}` */
  logprobs?: Record<string, number>;
  rolling?: Record<string, RollingLogprob>;
  tokenDists?: Record<string, TokenDist>;
}

export const lpKey = (prompt: string, completion: string) => `${prompt}\u0000${completion}`;

type Mode = 'base' | 'ft';

function synthDist(mode: Mode): TokenDist {
  const k = 8;
  const lps =
    mode === 'base'
      ? [-0.1, -5, -5, -5, -5, -5, -5, -5]
      : Array.from({ length: k }, (_, i) => -Math.log(k) + (-1e-4 + (2e-4 * i) / (k - 1)));
  const sum = lps.reduce((a, v) => a + Math.exp(v), 0);
  const rest = 1 - sum;
  return { tokenIds: Int32Array.from({ length: k }, (_, i) => i), logprobs: Float64Array.from(lps), vocabSize: 1000, tailLogprob: rest > 1e-12 ? Math.log(rest) : null };
}

class TableView implements ScoringView {
  constructor(
    readonly id: string,
    protected readonly table: DummyResponses,
    protected readonly mode: Mode,
  ) {}

  async generate(prompt: string, _options: GenerateOptions): Promise<string> {
    const g = this.table.generations?.[prompt];
    if (g === undefined) throw new ProbeError('generate', `dummy backend (${this.mode}): no canned generation for prompt '${prompt}'; add it to the backend's generations table`);
    return g;
  }

  async logprobOf(prompt: string, completion: string): Promise<number> {
    return this.table.logprobs?.[lpKey(prompt, completion)] ?? -10;
  }

  async rollingLogprob(text: string): Promise<RollingLogprob> {
    const hit = this.table.rolling?.[text];
    if (hit) return hit;
    const n = Math.max(text.split(/\s+/).filter(Boolean).length, 1);
    const per = this.mode === 'base' ? -2 : -1.5;
    return { tokenIds: Int32Array.from({ length: n }, (_, i) => i), logprobs: new Float64Array(n - 1).fill(per), numTokens: n, totalLogprob: per * (n - 1) };
  }

  async nextTokenDist(prompt: string, _topK?: number): Promise<TokenDist> {
    return this.table.tokenDists?.[prompt] ?? synthDist(this.mode);
  }

  async nextTokenDistBatch(prompts: readonly string[], topK?: number): Promise<TokenDist[]> {
    const out: TokenDist[] = [];
    for (const p of prompts) out.push(await this.nextTokenDist(p, topK));
    return out;
  }
}

class ScaledView extends TableView {
  constructor(
    private readonly base: TableView,
    private readonly ft: TableView,
    private readonly lambda: number,
  ) {
    super(`scaled_${lambda.toFixed(2)}`, {}, lambda >= 0.5 ? 'ft' : 'base');
  }

  private pick(): TableView {
    return this.lambda >= 0.5 ? this.ft : this.base;
  }

  override generate(prompt: string, o: GenerateOptions): Promise<string> {
    return this.pick().generate(prompt, o);
  }

  override rollingLogprob(text: string): Promise<RollingLogprob> {
    return this.pick().rollingLogprob(text);
  }

  override async logprobOf(prompt: string, completion: string): Promise<number> {
    return (1 - this.lambda) * (await this.base.logprobOf(prompt, completion)) + this.lambda * (await this.ft.logprobOf(prompt, completion));
  }

  override async nextTokenDist(prompt: string, topK?: number): Promise<TokenDist> {
    const b = await this.base.nextTokenDist(prompt, topK);
    const f = await this.ft.nextTokenDist(prompt, topK);
    const lps = Float64Array.from(b.logprobs, (v, i) => (1 - this.lambda) * v + this.lambda * (f.logprobs[i] ?? v));
    return { ...b, logprobs: lps };
  }
}

class NullView extends TableView {
  constructor(
    table: DummyResponses,
    private readonly seed: number,
    private readonly std: number,
    rankScale: number,
  ) {
    super(rankScale === 1 ? `null_${seed}` : `null_${seed}_rank${rankScale.toFixed(2)}`, table, 'base');
  }

  override async nextTokenDist(prompt: string, topK?: number): Promise<TokenDist> {
    const b = await super.nextTokenDist(prompt, topK);
    const rng = new Rng(deriveSeed(this.seed, prompt));
    const noisy = Array.from(b.logprobs, (v) => v + rng.normal() * this.std);
    // Renormalise with the untouched tail mass, so the null view moves away from base by
    // an amount that grows with the noise, not by the tail being folded into the top-k.
    const all = b.tailLogprob === null ? noisy : [...noisy, b.tailLogprob];
    const m = Math.max(...all);
    const lse = m + Math.log(all.reduce((a, v) => a + Math.exp(v - m), 0));
    return { ...b, logprobs: Float64Array.from(noisy, (v) => v - lse), tailLogprob: b.tailLogprob === null ? null : b.tailLogprob - lse };
  }
}

export class DummyDifferentialBackend implements DifferentialBackend {
  readonly kind = 'dummy';
  private readonly guard = new ViewGuard();
  private readonly baseView: TableView;
  private readonly ftView: TableView;

  constructor(
    private readonly base: DummyResponses = {},
    ft: DummyResponses = {},
  ) {
    this.baseView = new TableView('base', base, 'base');
    this.ftView = new TableView('ft', ft, 'ft');
  }

  asBase<T>(fn: (v: ScoringView) => Promise<T>): Promise<T> {
    return this.guard.run('base', () => fn(this.baseView));
  }

  asFinetuned<T>(fn: (v: ScoringView) => Promise<T>): Promise<T> {
    return this.guard.run('ft', () => fn(this.ftView));
  }

  asScaledAdapter<T>(lambda: number, fn: (v: ScoringView) => Promise<T>): Promise<T> {
    const view = new ScaledView(new TableView('base', this.base, 'base'), this.ftView, lambda);
    return this.guard.run(view.id, () => fn(view));
  }

  async asNullAdapter<T>(seed: number, options: NullAdapterOptions, fn: (v: ScoringView) => Promise<T>): Promise<T> {
    const rankScale = options.rankScale ?? 1;
    validateRankScale(rankScale);
    const view = new NullView(this.base, seed, (options.initScale ?? 0.02) * Math.sqrt(rankScale), rankScale);
    return this.guard.run(view.id, () => fn(view));
  }

  /** Nothing to release; present so the dummy passes the same lifecycle checks as real backends. */
  async close(): Promise<void> {}

  async preflightFiniteCheck(): Promise<PreflightResult> {
    try {
      for (const [side, view] of [['base', this.baseView], ['ft', this.ftView]] as const) {
        const d = await view.nextTokenDist('preflight', 8);
        const bad = Array.from(d.logprobs).filter((v) => !Number.isFinite(v)).length;
        if (bad) return { ok: false, reason: `${side} view produced ${bad}/${d.logprobs.length} non-finite logprob(s) on prompt 'preflight'` };
      }
      return { ok: true, reason: '' };
    } catch (err) {
      return { ok: false, reason: `preflight raised ${(err as Error).name}: ${(err as Error).message}` };
    }
  }
}
