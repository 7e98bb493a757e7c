/** One view on the server: every scoring call is a /v1/completions request for one served name. */
import { ProbeError } from '../../core/errors.js';
import type { RollingLogprob, TokenDist } from '../../core/results.js';
import type { GenerateOptions, ScoringView } from '../contract.js';
import type { HttpClient } from './client.js';
import { completionLogprob, echoBody, echoedTokens, generatedText, nextTokenBody, nextTokenDist, parseCompletion, rollingFromEcho } from './completions.js';

export interface ViewContext {
  client: HttpClient;
  topLogprobs: number;
  vocabSize: number | null;
  /** Answers cached per (served name, request body); served names of sway's adapters carry the adapter hash. */
  cache: Map<string, unknown>;
  counters: { cacheHits: number };
}

const DEFAULT_TOP_K = 256;
const CACHE_MAX = 8192;

export class HttpView implements ScoringView {
  constructor(
    readonly id: string,
    readonly served: string,
    private readonly ctx: ViewContext,
  ) {}

  private async completion(body: Record<string, unknown>, what: string) {
    const key = JSON.stringify(body);
    const hit = this.ctx.cache.get(key);
    if (hit !== undefined) {
      this.ctx.counters.cacheHits++;
      return parseCompletion(hit, what);
    }
    const raw = await this.ctx.client.post('/v1/completions', body);
    const parsed = parseCompletion(raw, what);
    if (this.ctx.cache.size >= CACHE_MAX) this.ctx.cache.delete(this.ctx.cache.keys().next().value as string);
    this.ctx.cache.set(key, raw);
    return parsed;
  }

  async logprobOf(prompt: string, completion: string): Promise<number> {
    if (completion.length === 0) throw new ProbeError('logprob_of', `completion tokenized to zero tokens (prompt=${JSON.stringify(prompt)}, completion="")`);
    const text = prompt + completion;
    const what = `logprob_of on '${this.served}'`;
    const resp = await this.completion(echoBody(this.served, text, { maxTokens: 1 }), what);
    return completionLogprob(echoedTokens(resp, text, what), prompt, what);
  }

  async rollingLogprob(text: string): Promise<RollingLogprob> {
    const what = `rolling_logprob on '${this.served}'`;
    const resp = await this.completion(echoBody(this.served, text, { maxTokens: 1 }), what);
    return rollingFromEcho(echoedTokens(resp, text, what), what);
  }

  async nextTokenDist(prompt: string, topK = DEFAULT_TOP_K): Promise<TokenDist> {
    const k = Math.max(1, Math.min(topK, this.ctx.topLogprobs));
    const what = `next_token_dist on '${this.served}'`;
    const resp = await this.completion(nextTokenBody(this.served, prompt, k), what);
    return nextTokenDist(resp, k, this.ctx.vocabSize, what);
  }

  nextTokenDistBatch(prompts: readonly string[], topK = DEFAULT_TOP_K): Promise<TokenDist[]> {
    return Promise.all(prompts.map((p) => this.nextTokenDist(p, topK)));
  }

  async generate(prompt: string, options: GenerateOptions): Promise<string> {
    const temperature = options.temperature ?? 0;
    const body: Record<string, unknown> = {
      model: this.served,
      prompt,
      max_tokens: options.maxNewTokens,
      temperature,
      top_p: options.topP ?? 1,
      seed: options.seed ?? 0,
      ...(options.stop?.length ? { stop: options.stop } : {}),
    };
    // Greedy or seeded answers repeat, so they may be cached; unseeded sampling never is.
    const resp = await this.completion(body, `generate on '${this.served}'`);
    let text = generatedText(resp);
    for (const s of options.stop ?? []) {
      const at = s ? text.indexOf(s) : -1;
      if (at >= 0) text = text.slice(0, at);
    }
    return text;
  }
}
