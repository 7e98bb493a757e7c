/**
 * The `sway serve` HTTP app (hono). Keeps models warm between requests so a CI loop or
 * an editor pays the model load once: GET /health (open), GET /stats, POST /run (a spec
 * in, the `sway run --json` report plus request_seconds out). With an API key every
 * route but /health needs `Authorization: Bearer <key>`. Bodies are size-limited (413);
 * user errors are 400 with the SwayError message; anything else is a 500.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { SwayError, isSwayError } from '../core/errors.js';
import { SWAY_VERSION } from '../core/version.js';
import type { BackendCache } from './backend-cache.js';
import { bearerMatches } from './bearer.js';
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

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'text/plain'];

const RunBody = z
  .object({
    spec: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
    spec_path: z.string().min(1).optional(),
  })
  .strict();

interface RunRequest {
  specText: string;
  specPath: string;
}

function userError(message: string): SwayError {
  return new SwayError(message, 'SWAY_SERVE', 2);
}

/** Reads a /run body: JSON `{spec, spec_path?}` (spec = object or YAML text) or a raw YAML body. */
async function readRunRequest(c: Context): Promise<RunRequest> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (YAML_TYPES.includes(type)) {
    const text = await c.req.text();
    if (text.trim() === '') throw userError('request body is empty; send the sway.yaml text as the body');
    return { specText: text, specPath: c.req.query('spec_path') ?? '<serve>' };
  }
  if (type !== 'application/json') {
    throw userError(
      `unsupported Content-Type '${type || '(none)'}' for POST /run; send application/json ` +
        `{"spec": {...}} or the YAML text with Content-Type: application/yaml`,
    );
  }
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch (err) {
    throw userError(`request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = RunBody.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    throw userError(`invalid /run body — ${issues}. Expected {"spec": <sway.yaml as object or text>, "spec_path"?: string}`);
  }
  const { spec, spec_path } = parsed.data;
  return { specText: typeof spec === 'string' ? spec : JSON.stringify(spec), specPath: spec_path ?? '<serve>' };
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

  app.post(
    '/run',
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) =>
        c.json({ detail: `request body exceeds ${Math.round(maxBodyBytes / 1024)} KiB; raise --max-body-kb on the server` }, 413),
    }),
    async (c) => {
      const started = now();
      try {
        const request = await readRunRequest(c);
        const prepared = await runtime.prepare(request.specText, request.specPath);
        const reportText = prepared.model
          ? await cache.use(prepared.model, (backend) => prepared.execute(backend))
          : await prepared.execute(undefined);
        const seconds = now() - started;
        requestCount += 1;
        totalRunSeconds += seconds;
        c.header('x-sway-request-seconds', String(seconds));
        return c.body(withRequestSeconds(reportText, seconds), 200, { 'content-type': 'application/json; charset=utf-8' });
      } catch (err) {
        errorCount += 1;
        if (isSwayError(err)) return c.json({ detail: err.message, code: err.code }, err.exitCode === 2 ? 400 : 500);
        throw err;
      }
    },
  );

  app.notFound((c) => c.json({ detail: `no route ${c.req.method} ${c.req.path}; routes: GET /health, GET /stats, POST /run` }, 404));
  app.onError((err, c) => c.json({ detail: `internal error: ${err instanceof Error ? err.message : String(err)}` }, 500));
  return app;
}
