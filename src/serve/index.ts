/** Library entry of the daemon and watch loop (`dlm-sway/serve`). */
export { createServeApp, DEFAULT_MAX_BODY_KB } from './app.js';
export type { ServeAppOptions, ServeStats } from './app.js';
export { BackendCache, modelKeyString } from './backend-cache.js';
export type { BackendCacheOptions, BackendLoader, ModelKey, UseInfo } from './backend-cache.js';
export { ServeClient, ServeClientError } from './client.js';
export type { ServeClientOptions, ServeHealth, ServeRunReport } from './client.js';
export { isLoopbackHost } from './loopback.js';
export type { PreparedRun, ServeRuntime } from './runtime.js';
export { DEFAULT_HOST, DEFAULT_PORT, assertBindAllowed, startServer } from './server.js';
export type { RunningServer } from './server.js';
export { Watcher } from './watch/watcher.js';
export type { WatchOutcome, WatchRunner, WatchVerdict, WatcherConfig, WatcherDeps } from './watch/watcher.js';
export { gateVerdictOfReport } from './watch/gate-verdict.js';
