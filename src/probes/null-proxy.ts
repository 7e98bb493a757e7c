/**
 * The calibration proxy: a backend whose fine-tuned view is a seeded null adapter. Running
 * any probe's own `run()` through it measures what that probe's metric looks like when the
 * fine-tune is noise. It exposes neither scaling nor null views, so nothing recurses.
 */
import type { DifferentialBackend, GenerateOptions, NullAdapterOptions, ScoringView, ViewSelector } from '../backends/contract.js';
import type { RollingLogprob, TokenDist } from '../core/results.js';

export class NullCalibrationProxy implements DifferentialBackend {
  readonly kind: string;
  readonly nextTokenDistViews?: (views: readonly ViewSelector[], prompts: readonly string[], topK?: number) => Promise<TokenDist[][]>;
  readonly logprobOfViews?: (views: readonly ViewSelector[], pairs: readonly { prompt: string; completion: string }[], onPair?: (done: number) => void) => Promise<number[][]>;
  readonly generateViews?: (views: readonly ViewSelector[], prompt: string, options: GenerateOptions) => Promise<string[]>;
  readonly rollingLogprobViews?: (views: readonly ViewSelector[], texts: readonly string[], onText?: (done: number) => void) => Promise<RollingLogprob[][]>;

  constructor(
    private readonly inner: DifferentialBackend,
    private readonly seed: number,
    private readonly options: NullAdapterOptions,
  ) {
    this.kind = `${inner.kind}+null-proxy`;
    const batched = inner.nextTokenDistViews?.bind(inner);
    if (batched) {
      this.nextTokenDistViews = (views, prompts, topK) => batched(views.map((v) => this.map(v)), prompts, topK);
    }
    const logprobs = inner.logprobOfViews?.bind(inner);
    if (logprobs) this.logprobOfViews = (views, pairs, onPair) => logprobs(views.map((v) => this.map(v)), pairs, onPair);
    const rolling = inner.rollingLogprobViews?.bind(inner);
    const generate = inner.generateViews?.bind(inner);
    if (generate) this.generateViews = (views, prompt, options) => generate(views.map((v) => this.map(v)), prompt, options);
    if (rolling) this.rollingLogprobViews = (views, texts, onText) => rolling(views.map((v) => this.map(v)), texts, onText);
  }

  private map(v: ViewSelector): ViewSelector {
    return v.kind === 'ft' ? { kind: 'null', seed: this.seed, ...this.options } : v;
  }

  asBase<T>(fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.inner.asBase(fn);
  }

  asFinetuned<T>(fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.inner.asNullAdapter!(this.seed, this.options, fn);
  }
}
