/**
 * Typed client for a running `sway serve`. Stateless: every call is one fetch with a
 * timeout. Every failure — unreachable daemon, timeout, an error status, a body that is
 * not a JSON object — is a ServeClientError saying which request failed and why.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SwayError } from '../core/errors.js';
import type { ServeStats } from './app.js';
import type { ModelKey } from './backend-cache.js';

export class ServeClientError extends SwayError {
  /** HTTP status, when the daemon answered. */
  readonly status: number | null;
  constructor(message: string, status: number | null = null) {
    super(message, 'SWAY_SERVE', status !== null && status >= 400 && status < 500 ? 2 : 3);
    this.status = status;
  }
}

/**
 * JSON.parse that also accepts the bare NaN / Infinity tokens the report writer emits for
 * non-finite evidence values (Python's json does the same); they become null.
 */
export function parseReportJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!/NaN|Infinity/.test(text)) throw err;
    return JSON.parse(text.replace(/("(?:[^"\\]|\\.)*")|-?\b(?:NaN|Infinity)\b/g, (m, str: string | undefined) => str ?? 'null'));
  }
}

export interface ServeHealth {
  status: 'ok';
  sway_version: string;
  uptime_seconds: number;
  loaded_models: ModelKey[];
  max_loaded_models: number;
}

/** The `sway run --json` report plus the daemon's own timing. */
export type ServeRunReport = Record<string, unknown> & { request_seconds: number };

export interface ServeClientOptions {
  /** Per-request timeout in milliseconds (default 120 000). */
  timeoutMs?: number;
  apiKey?: string | null;
}

export class ServeClient {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly apiKey: string | null;

  constructor(url: string, options: ServeClientOptions = {}) {
    this.url = url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.apiKey = options.apiKey ?? null;
  }

  health(): Promise<ServeHealth> {
    return this.request<ServeHealth>('GET', '/health');
  }

  stats(): Promise<ServeStats> {
    return this.request<ServeStats>('GET', '/stats');
  }

  /**
   * Runs a spec on the daemon. `spec` is the parsed sway.yaml object or its YAML text;
   * `specPath` tells the daemon where relative paths in the spec resolve from.
   */
  run(spec: Record<string, unknown> | string, specPath = '<client>'): Promise<ServeRunReport> {
    return this.request<ServeRunReport>('POST', '/run', { spec, spec_path: specPath });
  }

  /** Runs only the named suite entries (all when `probeNames` is null); answers their probe results. */
  score(spec: Record<string, unknown> | string, probeNames: string[] | null = null, specPath = '<client>'): Promise<{ probes: Record<string, unknown>[]; request_seconds: number }> {
    const body: Record<string, unknown> = { spec, spec_path: specPath };
    if (probeNames) body['probe_names'] = probeNames;
    return this.request('POST', '/score', body);
  }

  /** Reads a sway.yaml from disk and runs it; relative paths resolve against its directory. */
  async runFile(specPath: string): Promise<ServeRunReport> {
    const abs = resolve(specPath);
    let text: string;
    try {
      text = await readFile(abs, 'utf8');
    } catch (err) {
      throw new SwayError(`spec file not found: ${abs} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`, 'SWAY_SPEC_INVALID');
    }
    return this.run(text, abs);
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.apiKey) headers['authorization'] = `Bearer ${this.apiKey}`;
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const why =
        e.name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs} ms (raise the client timeout or check the daemon)`
          : `${e.cause?.code ?? e.message}; is \`sway serve\` running at ${this.url}?`;
      throw new ServeClientError(`${method} ${path} failed: ${why}`);
    }
    const text = await response.text();
    let parsed: unknown;
    let isJson = true;
    try {
      parsed = parseReportJson(text);
    } catch {
      isJson = false;
    }
    if (response.status >= 400) {
      const detail =
        isJson && parsed !== null && typeof parsed === 'object' && 'detail' in parsed
          ? String((parsed as { detail: unknown }).detail)
          : isJson
            ? JSON.stringify(parsed)
            : text.slice(0, 200);
      throw new ServeClientError(`${path} returned ${response.status}: ${detail}`, response.status);
    }
    if (!isJson) throw new ServeClientError(`${path} returned non-JSON body: ${text.slice(0, 200)}`, response.status);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ServeClientError(`${path} returned non-object JSON: ${Array.isArray(parsed) ? 'array' : typeof parsed}`, response.status);
    }
    return parsed as T;
  }
}
