/**
 * The backend contract: everything a probe may ask of a model. Probes import this file
 * and nothing below it. A view is one way of running the model (base, fine-tuned,
 * adapter scaled by lambda, or a seeded null adapter); views are opened through the
 * callback methods of DifferentialBackend so the real adapter is always restored on
 * exit, also when the callback throws. Only one view may be open at a time: opening a
 * second one (nested or concurrent) rejects with ViewConflictError from core/errors.
 * test/support/backend-conformance.ts checks every implementation against this file.
 */
import type { RollingLogprob, TokenDist } from '../core/results.js';
import type { GenerateOptions, ViewSelector } from '../core/views.js';

export type { GenerateOptions, ViewSelector };

/** One way of running the model. All methods are async because engines run off the JS thread. */
export interface ScoringView {
  /** Stable id: `base`, `ft`, `scaled_0.50`, `null_3`, `null_3_rank2.00`. */
  readonly id: string;
  /** Sum of the completion's token logprobs (nats) given the prompt; prompt tokens are not scored. */
  logprobOf(prompt: string, completion: string): Promise<number>;
  rollingLogprob(text: string): Promise<RollingLogprob>;
  nextTokenDist(prompt: string, topK?: number): Promise<TokenDist>;
  nextTokenDistBatch(prompts: readonly string[], topK?: number): Promise<TokenDist[]>;
  generate(prompt: string, options: GenerateOptions): Promise<string>;
}

export interface NullAdapterOptions {
  /**
   * Null family: `matched` (default) scales each module's random update to the real
   * adapter's ||B·A||_F; `init` draws A and B at the fixed std `initScale` (the reference).
   */
  scale?: 'matched' | 'init';
  /** Std of the Gaussian null weights for `scale: 'init'`, before the rank multiplier (default 0.02). */
  initScale?: number;
  /** Rank multiplier m: the null's update norm is multiplied by sqrt(m) (matched); must be finite and > 0. */
  rankScale?: number;
}


/** Chat message for templates. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
}

/** Optional tokenizer access some probes use (chat templates, token counting). */
export interface TokenizerAccess {
  hasChatTemplate(): boolean;
  /** Renders a conversation with the model's chat template; throws when there is none. */
  applyChatTemplate(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /**
   * Optional. The pad token's text — the EOS token's when the tokenizer has no pad token,
   * as the reference's HF backend sets it — or null when it has neither.
   */
  padToken?(): string | null;
  /** Optional. Like `decode`, but special tokens (BOS, pad, ...) stay in the text. */
  decodeKeepingSpecialTokens?(ids: readonly number[]): string;
}

export interface PreflightResult {
  ok: boolean;
  reason: string;
}

export interface DifferentialBackend {
  /** Short kind name used in reports: `hf` (local engine), `dummy`, `two-model`, `http`. */
  readonly kind: string;
  asBase<T>(fn: (view: ScoringView) => Promise<T>): Promise<T>;
  asFinetuned<T>(fn: (view: ScoringView) => Promise<T>): Promise<T>;

  /** Optional capabilities, detected by presence. */
  asScaledAdapter?<T>(lambda: number, fn: (view: ScoringView) => Promise<T>): Promise<T>;
  asNullAdapter?<T>(seed: number, options: NullAdapterOptions, fn: (view: ScoringView) => Promise<T>): Promise<T>;
  preflightFiniteCheck?(): Promise<PreflightResult>;
  /**
   * Stable identity for caches: content hashes of base and adapter, dtype, engine version.
   * Backends without one never touch the null-stats disk cache.
   */
  identity?(): string;
  /** Several views of the same prompts in one batched forward: result[v][p]. */
  nextTokenDistViews?(views: readonly ViewSelector[], prompts: readonly string[], topK?: number): Promise<TokenDist[][]>;
  /**
   * Several views of the same (prompt, completion) pairs in one batched forward: result[v][p].
   * `onPair`, when given, may be called with the number of pairs whose every view is scored.
   */
  logprobOfViews?(
    views: readonly ViewSelector[],
    pairs: readonly { prompt: string; completion: string }[],
    onPair?: (done: number) => void,
  ): Promise<number[][]>;
  /**
   * Several views of the same texts' rolling logprobs, batched: result[v][t], each equal to
   * the view's own rollingLogprob(text). `onText` as `onPair` above.
   */
  rollingLogprobViews?(views: readonly ViewSelector[], texts: readonly string[], onText?: (done: number) => void): Promise<RollingLogprob[][]>;
  /**
   * One prompt generated under several views at once (the local engine decodes them as rows
   * of one batch): result[v], each equal to the view's own generate(prompt, options), also
   * when sampling with a seed.
   */
  generateViews?(views: readonly ViewSelector[], prompt: string, options: GenerateOptions): Promise<string[]>;
  tokenizer?(): TokenizerAccess | null;
  /**
   * Things the user should know about the loaded model that do not stop a run (e.g. saved
   * adapter modules the text path never runs). Reported on stderr, in the JSON report's
   * `warnings` and in serve responses.
   */
  readonly warnings?: readonly string[];
  /** The most tokens one input may have (the model's context as loaded); probes fit the inputs they build to it. */
  maxInputTokens?(): number | null;
  /** Counters for the report's backend_stats (forward_passes, batches_sent, ...). */
  stats?(): Record<string, number>;
  close?(): Promise<void>;
}
