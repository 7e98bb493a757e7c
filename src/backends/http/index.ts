/** The http backend: OpenAI-compatible completions servers (vLLM, llama.cpp-family). */
import type { ModelSpec } from '../../core/schema.js';
import { HttpBackend } from './backend.js';
import { httpOptionsFromSpec, type HttpBackendOptions } from './options.js';

export { HttpBackend } from './backend.js';
export { HttpBackendError } from './errors.js';
export { httpOptionsFromSpec, readApiKey, type HttpBackendOptions } from './options.js';

/** Builds the backend from options and contacts the server once (reachable, key, served names). */
export function createHttpBackend(options: HttpBackendOptions): Promise<HttpBackend> {
  return new HttpBackend(options).connect();
}

export function createHttpBackendFromSpec(model: ModelSpec, env: NodeJS.ProcessEnv = process.env): Promise<HttpBackend> {
  return createHttpBackend(httpOptionsFromSpec(model, env));
}

/** The reference's `kind: api` with `differential: true` serves one model for both views (its documented pitfall). */
export function sameModelWarning(model: ModelSpec): string | null {
  if (model.kind !== 'api' || model.views['ft']) return null;
  return `kind: api serves one model ('${model.base}') for both base and ft, so every divergence is 0 — use kind: http with views: {ft: <served name>}, or defaults.differential: false with two models`;
}
