/**
 * Binds a serve app to a TCP port with @hono/node-server and hands back the bound URL and
 * a close() that stops accepting connections and then closes every cached backend.
 * The loopback rule lives here so the CLI and library callers cannot skip it.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Hono } from 'hono';
import { UsageError } from '../core/errors.js';
import type { BackendCache } from './backend-cache.js';
import { isLoopbackHost } from './loopback.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8787;

/**
 * How long a client may take to send its headers, and its whole request (headers and
 * body). A client that stalls (a body shorter than its Content-Length) gets 408 and its
 * connection is closed; running the spec afterwards is not limited.
 */
export interface ServeTimeouts {
  headersMs: number;
  requestMs: number;
  /** How often stalled connections are looked for (Node checks on an interval). */
  checkEveryMs?: number;
}

export const DEFAULT_TIMEOUTS: ServeTimeouts = { headersMs: 10_000, requestMs: 30_000 };

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Refuses a network-reachable bind without an API key. */
export function assertBindAllowed(host: string, apiKey: string | null | undefined): void {
  if (!isLoopbackHost(host) && !apiKey) {
    throw new UsageError(
      `refusing to bind ${host} without --api-key: a non-loopback address lets anyone on the network run specs ` +
        `that read files on this machine. Pass --api-key <token> (clients send "Authorization: Bearer <token>") ` +
        `or bind ${DEFAULT_HOST}`,
    );
  }
}

export function assertPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be an integer in 0..65535 (0 picks a free port), got ${port}`);
  }
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export async function startServer(options: {
  app: Hono;
  cache: BackendCache;
  host?: string;
  port?: number;
  apiKey?: string | null;
  timeouts?: ServeTimeouts;
}): Promise<RunningServer> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  assertPort(port);
  assertBindAllowed(host, options.apiKey);
  const t = options.timeouts ?? DEFAULT_TIMEOUTS;
  if (!(t.headersMs > 0 && t.requestMs >= t.headersMs)) throw new UsageError(`serve timeouts: headers (${t.headersMs} ms) must be > 0 and at most the request timeout (${t.requestMs} ms)`);
  const serverOptions = {
    headersTimeout: t.headersMs,
    requestTimeout: t.requestMs,
    connectionsCheckingInterval: t.checkEveryMs ?? Math.min(1000, t.headersMs),
  };
  return new Promise<RunningServer>((resolve, reject) => {
    const server = serve({ fetch: options.app.fetch, hostname: host, port, serverOptions }, (info: AddressInfo) => {
      server.off('error', reject);
      const bound = info.port;
      resolve({
        url: `http://${urlHost(host)}:${bound}`,
        host,
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Idle keep-alive sockets would hold close() open for their whole timeout.
            (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          }).then(() => options.cache.evictAll()),
      });
    });
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new UsageError(`port ${port} on ${host} is already in use; pick another with --port`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND')
        reject(new UsageError(`cannot bind ${host}: ${err.message}; pass an address of this machine with --host`));
      else reject(err);
    });
  });
}
