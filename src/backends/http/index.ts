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
