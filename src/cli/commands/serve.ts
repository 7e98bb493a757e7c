import { Option, type Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { DEFAULT_MAX_BODY_KB, createServeApp } from '../../serve/app.js';
import { BackendCache } from '../../serve/backend-cache.js';
import { createDefaultRuntime } from '../../serve/default-runtime.js';
import { DEFAULT_HOST, DEFAULT_PORT, DEFAULT_TIMEOUTS, assertBindAllowed, assertPort, startServer } from '../../serve/server.js';

interface ServeFlags {
  host: string;
  port: string;
  apiKey?: string;
  maxLoadedModels: string;
  maxBodyKb: string;
  requestTimeout: string;
  accessLog: boolean;
}

function intFlag(name: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer >= ${min}, got '${raw}'`);
  return n;
}

/** `sway serve`: a warm daemon that keeps models loaded between /run requests. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('keep models warm and run specs over HTTP (GET /health, GET /stats, POST /run)')
    .option('--host <host>', 'address to bind; non-loopback addresses require --api-key', DEFAULT_HOST)
    .option('--port <port>', 'TCP port (0 picks a free one)', String(DEFAULT_PORT))
    .addOption(new Option('--api-key <token>', 'require "Authorization: Bearer <token>" on every route but /health').env('SWAY_SERVE_API_KEY'))
    .option('--max-loaded-models <n>', 'models kept loaded at once (least recently used is closed)', '2')
    .option('--max-body-kb <n>', 'largest accepted request body in KiB', String(DEFAULT_MAX_BODY_KB))
    .option('--request-timeout <s>', 'seconds a client may take to send a whole request (headers: a third of it, at most 10); then 408', String(DEFAULT_TIMEOUTS.requestMs / 1000))
    .option('--no-access-log', 'no per-request line on stderr')
    .addHelpText(
      'after',
      `
Examples:
  sway serve                                   # http://127.0.0.1:8787, loopback only
  sway serve --port 0 --max-loaded-models 1    # pick a free port, keep one model warm
  SWAY_SERVE_API_KEY=s3cret sway serve --host 0.0.0.0
  curl -s localhost:8787/run -H 'content-type: application/yaml' --data-binary @sway.yaml

The /run response is the same JSON as \`sway run --json\` plus request_seconds.
Stop with Ctrl-C (loaded models are closed on the way out).`,
    )
    .action(async (flags: ServeFlags) => {
      const port = Number(flags.port);
      assertPort(port);
      const apiKey = flags.apiKey && flags.apiKey.length > 0 ? flags.apiKey : null;
      assertBindAllowed(flags.host, apiKey);
      const maxSize = intFlag('--max-loaded-models', flags.maxLoadedModels, 1);
      const maxBodyKb = intFlag('--max-body-kb', flags.maxBodyKb, 1);
      const requestS = Number(flags.requestTimeout);
      if (!Number.isFinite(requestS) || requestS < 1) throw new UsageError(`--request-timeout must be a number of seconds >= 1, got '${flags.requestTimeout}'`);
      const timeouts = { requestMs: requestS * 1000, headersMs: Math.min(DEFAULT_TIMEOUTS.headersMs, (requestS * 1000) / 3) };

      const runtime = createDefaultRuntime();
      const cache = new BackendCache({
        maxSize,
        load: runtime.loadBackend,
        onCloseError: (model, err) =>
          process.stderr.write(`sway serve: closing ${model.base} failed: ${err instanceof Error ? err.message : String(err)}\n`),
      });
      const app = createServeApp({ cache, runtime, apiKey, maxBodyBytes: maxBodyKb * 1024, accessLog: flags.accessLog ? (line) => process.stderr.write(`sway serve: ${line}\n`) : null });
      const server = await startServer({ app, cache, host: flags.host, port, apiKey, timeouts });
      process.stderr.write(
        `sway serve: listening on ${server.url} (max ${maxSize} loaded model(s), auth ${apiKey ? 'on' : 'off'}; Ctrl-C to stop)\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      process.stderr.write('sway serve: shutting down\n');
      await server.close();
    });
}
