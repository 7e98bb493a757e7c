/** One view on the server: every scoring call is a /v1/completions request for one served name. */
import { ProbeError } from '../../core/errors.js';
import type { RollingLogprob, TokenDist } from '../../core/results.js';
import type { GenerateOptions, ScoringView } from '../contract.js';
import type { HttpClient } from './client.js';
import { completionLogprob, echoBody, echoedTokens, generatedText, lookupNext, nextTokenBody, nextTokenDist, parseCompletion, realignShiftedEcho, rollingFromEcho } from './completions.js';

export interface ViewContext {
  client: HttpClient;
  /** llama-cpp-python: echo logprobs are realigned (see completions.realignShiftedEcho). */
  shiftedEcho: boolean;
  /** Extra generation keys that turn a server's own sampling defaults off (llama-cpp-python: repeat_penalty 1.1, top_k 40, min_p 0.05). */
  neutralSampling: Record<string, unknown>;
  /** Extra keys of next-token requests (vLLM: return_tokens_as_token_ids, so alternatives carry real token ids). */
  nextTokenExtra: Record<string, unknown>;
  /** Tokens generated beside an echo: 0 where the server allows it (vLLM), else 1 (cut off again). */
  echoMaxTokens: number;
  topLogprobs: number;
  vocabSize: number | null;
  /** Answers cached per (served name, request body); served names of sway's adapters carry the adapter hash. */
  cache: Map<string, unknown>;
  counters: { cacheHits: number };
}

const DEFAULT_TOP_K = 256;
const CACHE_MAX = 8192;

export class HttpView implements ScoringView {
  /** `name` resolves the served model name on first use (a runtime adapter is loaded then). */
  constructor(
    readonly id: string,
    private readonly name: () => Promise<string>,
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

  /** The text's tokens with log p(token i | tokens < i) (index 0 null). */
  private async echo(text: string, what: string): Promise<{ tokens: string[]; logprobs: (number | null)[] }> {
    const served = await this.name();
    if (!this.ctx.shiftedEcho) {
      const resp = await this.completion(echoBody(served, text, { maxTokens: this.ctx.echoMaxTokens }), what);
      return echoedTokens(resp, text, what);
    }
    const k = this.ctx.topLogprobs;
    const resp = await this.completion(echoBody(served, text, { maxTokens: 1, logprobs: k }), what);
    const out = realignShiftedEcho(resp, echoedTokens(resp, text, what), what);
    if (out.tokens.length > 1) {
      const first = await this.completion(nextTokenBody(served, out.tokens[0]!, k), what);
      out.logprobs[1] = lookupNext(first, out.tokens[1]!, what);
    }
    return out;
  }

  async logprobOf(prompt: string, completion: string): Promise<number> {
    if (completion.length === 0) throw new ProbeError('logprob_of', `completion tokenized to zero tokens (prompt=${JSON.stringify(prompt)}, completion="")`);
    const what = `logprob_of on view ${this.id}`;
    return completionLogprob(await this.echo(prompt + completion, what), prompt, what);
  }

  async rollingLogprob(text: string): Promise<RollingLogprob> {
    const what = `rolling_logprob on view ${this.id}`;
    return rollingFromEcho(await this.echo(text, what), what);
  }

  async nextTokenDist(prompt: string, topK = DEFAULT_TOP_K): Promise<TokenDist> {
    const k = Math.max(1, Math.min(topK, this.ctx.topLogprobs));
    const what = `next_token_dist on view ${this.id}`;
    const resp = await this.completion({ ...nextTokenBody(await this.name(), prompt, k), ...this.ctx.nextTokenExtra }, what);
    return nextTokenDist(resp, k, this.ctx.vocabSize, what);
  }

  nextTokenDistBatch(prompts: readonly string[], topK = DEFAULT_TOP_K): Promise<TokenDist[]> {
    return Promise.all(prompts.map((p) => this.nextTokenDist(p, topK)));
  }

  async generate(prompt: string, options: GenerateOptions): Promise<string> {
    const temperature = options.temperature ?? 0;
    const body: Record<string, unknown> = {
      model: await this.name(),
      prompt,
      max_tokens: options.maxNewTokens,
      temperature,
      top_p: options.topP ?? 1,
      seed: options.seed ?? 0,
      ...(options.stop?.length ? { stop: options.stop } : {}),
      ...this.ctx.neutralSampling,
    };
    // Greedy or seeded answers repeat, so they may be cached; unseeded sampling never is.
    const resp = await this.completion(body, `generate on view ${this.id}`);
    let text = generatedText(resp);
    for (const s of options.stop ?? []) {
      const at = s ? text.indexOf(s) : -1;
      if (at >= 0) text = text.slice(0, at);
    }
    return text;
  }
}
