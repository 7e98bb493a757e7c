/**
 * JSON over HTTP to an OpenAI-compatible server: a per-request timeout, a concurrency
 * limit, and retries with exponential backoff on 429, 5xx and connection errors. Every
 * failure ends as one HttpBackendError; the API key is sent, never printed.
 */
import { HttpBackendError } from './errors.js';
import { Semaphore } from './semaphore.js';

export interface HttpClientOptions {
  baseUrl: string;
  apiKey: string | null;
  /** Name of the variable the key came from, for the wrong-key message. */
  apiKeySource: string;
  timeoutS: number;
  concurrency: number;
  retries: number;
  /** Backoff before retry n (0-based), in ms; tests pass a tiny one. */
  backoffMs?: (attempt: number) => number;
}

export interface ClientStats {
  requests: number;
  retries: number;
  failures: number;
}

const RETRY_STATUS = (s: number) => s === 429 || (s >= 500 && s <= 599);

export function defaultBackoff(attempt: number): number {
  return Math.min(4000, 500 * 2 ** attempt);
}

export class HttpClient {
  readonly stats: ClientStats = { requests: 0, retries: 0, failures: 0 };
  private readonly gate: Semaphore;
  private readonly base: string;

  constructor(private readonly options: HttpClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.gate = new Semaphore(options.concurrency);
  }

  get baseUrl(): string {
    return this.base;
  }

  post(path: string, body: unknown): Promise<unknown> {
    return this.request('POST', path, body);
  }

  get(path: string): Promise<unknown> {
    return this.request('GET', path, undefined);
  }

  private async request(method: 'GET' | 'POST', path: string, body: unknown): Promise<unknown> {
    const backoff = this.options.backoffMs ?? defaultBackoff;
    let last: HttpBackendError | null = null;
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (attempt > 0) {
        this.stats.retries++;
        await new Promise((r) => setTimeout(r, backoff(attempt - 1)));
      }
      try {
        return await this.gate.run(() => this.once(method, path, body));
      } catch (err) {
        if (!(err instanceof HttpBackendError)) throw err;
        last = err;
        const retryable = err.failure === 'unreachable' || err.failure === 'timeout' || (err.status !== null && RETRY_STATUS(err.status));
        if (!retryable) break;
      }
    }
    this.stats.failures++;
    const tries = this.options.retries + 1;
    if (last && (last.failure === 'unreachable' || last.failure === 'timeout' || last.failure === 'server') && tries > 1) {
      throw new HttpBackendError(last.failure, `${last.message.replace(/^http backend: /, '')} (after ${tries} attempts)`, last.status);
    }
    throw last!;
  }

  private async once(method: 'GET' | 'POST', path: string, body: unknown): Promise<unknown> {
    this.stats.requests++;
    const url = `${this.base}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.apiKey) headers['authorization'] = `Bearer ${this.options.apiKey}`;
    const ctrl = new AbortController();
    const timeoutMs = this.options.timeoutS * 1000;
    const timer = setTimeout(() => ctrl.abort(), timeoutMs);
    let status = 0;
    let text: string;
    try {
      const res = await fetch(url, { method, headers, signal: ctrl.signal, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (ctrl.signal.aborted) {
        throw new HttpBackendError('timeout', `${method} ${url} timed out after ${this.options.timeoutS} s — raise timeout_s, lower concurrency, or check the server's load`);
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new HttpBackendError('unreachable', `cannot reach ${url} (${why}) — is the server running and is base_url right?`);
    } finally {
      clearTimeout(timer);
    }
    if (status === 401 || status === 403) {
      throw new HttpBackendError('auth', `${url} refused the request (${status}): wrong or missing API key — set ${this.options.apiKeySource} to the server's key`, status);
    }
    if (status === 404) {
      throw new HttpBackendError('not-found', `${url} answered 404: ${snippet(text)} — check base_url and the served model names`, status);
    }
    if (status < 200 || status > 299) {
      const failure = status >= 500 || status === 429 ? 'server' : 'client';
      throw new HttpBackendError(failure, `${method} ${url} answered ${status}: ${snippet(text)}`, status);
    }
    if (text.trim() === '') return null;
    try {
      return JSON.parse(text);
    } catch {
      // vLLM's LoRA endpoints answer with a plain-text sentence.
      return text;
    }
  }
}

export function snippet(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 200 ? `${one.slice(0, 200)}…` : one || '(empty body)';
}
