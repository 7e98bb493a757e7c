/** The local inference engine's public API (used by backends/engine.ts and the CLI). */
export { loadEngine, type Engine, type LoadEngineOptions } from './load.js';
export { Scorer, logSoftmax, topK } from './scoring.js';
export { generateIds, generateText } from './generate.js';
export { parseView, viewKey, type EngineView, type ViewFeeds } from './views.js';
export type { ForwardRow } from './session.js';
