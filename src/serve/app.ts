/**
 * The `sway serve` HTTP app (hono). Keeps models warm between requests so a CI loop or
 * an editor pays the model load once: GET /health (open), GET /stats, POST /run (a spec
 * in, the `sway run --json` report plus request_seconds out), POST /score (the same for
 * a subset of the suite's probes, answering the probe list and the run's warnings). With an API key every
 * route but /health needs `Authorization: Bearer <key>`. Bodies are size-limited (413);
 * user errors are 400 with the SwayError message; anything else is a 500.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { SwayError, isSwayError } from '../core/errors.js';
import { SWAY_VERSION } from '../core/version.js';
import { accessLog, type AccessLogSink } from './access-log.js';
import type { BackendCache } from './backend-cache.js';
import { bearerMatches } from './bearer.js';
import { parseReportJson } from './client.js';
import { filterSuiteEntries, readSpecRequest } from './request-body.js';
import type { ServeRuntime } from './runtime.js';

export const DEFAULT_MAX_BODY_KB = 1024;

export interface ServeAppOptions {
  cache: BackendCache;
  runtime: ServeRuntime;
  /** When set, every route except /health requires `Authorization: Bearer <apiKey>`. */
  apiKey?: string | null;
  /** Request body limit in bytes; default 1 MiB. */
  maxBodyBytes?: number;
  /** Monotonic clock in seconds (tests inject one). */
  now?: () => number;
  /** Receives one access-log line per request (`sway serve` writes them to stderr); none when absent. */
  accessLog?: AccessLogSink | null;
}

export interface ServeStats {
  uptime_seconds: number;
  request_count: number;
  error_count: number;
  total_run_seconds: number;
  mean_run_seconds: number | null;
  cached_backends: number;
  max_loaded_models: number;
}

/** Appends `request_seconds` to the report's JSON text without re-serialising the rest. */
export function withRequestSeconds(reportText: string, seconds: number): string {
  const trimmed = reportText.trimEnd();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) {
    throw new SwayError('internal: the JSON report is not an object', 'SWAY_SERVE', 3);
  }
  const head = trimmed.slice(0, -1).trimEnd();
  return `${head}${head.endsWith('{') ? '' : ','}\n  "request_seconds": ${seconds}\n}`;
}

export function createServeApp(options: ServeAppOptions): Hono {
  const { cache, runtime } = options;
  const apiKey = options.apiKey ?? null;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_KB * 1024;
  const now = options.now ?? (() => performance.now() / 1000);
  const startedAt = now();
  let requestCount = 0;
  let errorCount = 0;
  let totalRunSeconds = 0;

  const app = new Hono();

  if (options.accessLog) app.use('*', accessLog(options.accessLog));
  app.use('*', async (c, next) => {
    if (apiKey !== null && c.req.path !== '/health' && !bearerMatches(c.req.header('authorization'), apiKey)) {
      return c.json({ detail: 'missing or invalid Authorization header (expected: Bearer <api key>)' }, 401);
    }
    await next();
  });

  app.get('/health', (c) =>
    c.json({
      status: 'ok',
      sway_version: SWAY_VERSION,
      uptime_seconds: now() - startedAt,
      loaded_models: cache.loadedModels(),
      max_loaded_models: cache.maxSize,
    }),
  );

  app.get('/stats', (c) => {
    const stats: ServeStats = {
      uptime_seconds: now() - startedAt,
      request_count: requestCount,
      error_count: errorCount,
      total_run_seconds: totalRunSeconds,
      mean_run_seconds: requestCount > 0 ? totalRunSeconds / requestCount : null,
      cached_backends: cache.size,
      max_loaded_models: cache.maxSize,
    };
    return c.json(stats);
  });

  const limit = bodyLimit({
    maxSize: maxBodyBytes,
    onError: (c) => c.json({ detail: `request body exceeds ${Math.round(maxBodyBytes / 1024)} KiB; raise --max-body-kb on the server` }, 413),
  });

  /** Validates, runs on the cached backend (or a per-request one), and counts. Returns the report text and seconds. */
  async function runSpec(specText: string, specPath: string): Promise<{ reportText: string; seconds: number }> {
    const started = now();
    const prepared = await runtime.prepare(specText, specPath);
    const reportText = prepared.model
      ? await cache.use(prepared.model, (backend) => prepared.execute(backend))
      : await prepared.execute(undefined);
    const seconds = now() - started;
    requestCount += 1;
    totalRunSeconds += seconds;
    return { reportText, seconds };
  }

  function failure(c: Context, err: unknown): Response {
    errorCount += 1;
    if (isSwayError(err)) return c.json({ detail: err.message, code: err.code }, err.exitCode === 2 ? 400 : 500);
    throw err;
  }

  app.post('/run', limit, async (c) => {
    try {
      const request = await readSpecRequest(c, '/run');
      const { reportText, seconds } = await runSpec(request.specText, request.specPath);
      c.header('x-sway-request-seconds', String(seconds));
      return c.body(withRequestSeconds(reportText, seconds), 200, { 'content-type': 'application/json; charset=utf-8' });
    } catch (err) {
      return failure(c, err);
    }
  });

  app.post('/score', limit, async (c) => {
    try {
      const request = await readSpecRequest(c, '/score');
      const specText = request.probeNames ? filterSuiteEntries(request.specText, request.probeNames, request.specPath) : request.specText;
      const { reportText, seconds } = await runSpec(specText, request.specPath);
      const report = parseReportJson(reportText) as { probes?: unknown; warnings?: unknown };
      return c.json({ probes: report.probes ?? [], warnings: Array.isArray(report.warnings) ? report.warnings : [], request_seconds: seconds });
    } catch (err) {
      return failure(c, err);
    }
  });

  app.notFound((c) => c.json({ detail: `no route ${c.req.method} ${c.req.path}; routes: GET /health, GET /stats, POST /run, POST /score` }, 404));
  app.onError((err, c) => c.json({ detail: `internal error: ${err instanceof Error ? err.message : String(err)}` }, 500));
  return app;
}
