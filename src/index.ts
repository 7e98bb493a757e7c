/** Library entry point: everything the CLI does is available as typed functions. */
export * from './core/errors.js';
export * from './core/results.js';
export type * from './backends/contract.js';
export { SWAY_VERSION } from './core/version.js';
