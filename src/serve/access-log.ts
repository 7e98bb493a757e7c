/**
 * One stderr line per request for `sway serve`: time, client address, method, path (no
 * query string), status, seconds and response size. Headers and bodies are never logged,
 * so an API key or a spec's contents cannot leak into the log.
 */
import type { MiddlewareHandler } from 'hono';

export type AccessLogSink = (line: string) => void;

export function accessLog(sink: AccessLogSink, now: () => number = () => performance.now() / 1000): MiddlewareHandler {
  return async (c, next) => {
    const started = now();
    let status = 500;
    try {
      await next();
      status = c.res.status;
    } finally {
      const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
      const remote = incoming?.socket?.remoteAddress ?? '-';
      const size = c.res.headers.get('content-length') ?? '-';
      const seconds = (now() - started).toFixed(3);
      sink(`${new Date().toISOString()} ${remote} "${c.req.method} ${c.req.path}" ${status} ${seconds}s ${size}`);
    }
  };
}
