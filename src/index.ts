/** Library entry point: everything the CLI does is available as typed functions. */
export * from './core/errors.js';
export * from './core/results.js';
export type * from './backends/contract.js';
export { SWAY_VERSION } from './core/version.js';
export { executeSpec, loadSpecFile, loadSpecText, buildBackend } from './suite/execute.js';
export { computeScore, bandFor } from './suite/score.js';
export { createEngineBackend, EngineBackend } from './backends/engine.js';
export { DummyDifferentialBackend } from './backends/dummy.js';
export { Engine } from './engine/engine.js';
export { writeTinyFixtures } from './engine/fixtures/tiny-suite.js';
export { toJson, fromJson } from './report/json.js';
export { toMarkdown } from './report/markdown.js';
export { toJunit } from './report/junit.js';
export { toHtml } from './report/html.js';
export { toTerminal } from './report/terminal.js';
export { allProbes, buildProbe, validateAllProbes } from './probes/registry.js';
