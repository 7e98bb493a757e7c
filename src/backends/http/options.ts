/** The http backend's settings, read from one `models.*` entry of sway.yaml. */
import type { ModelSpec } from '../../core/schema.js';
import { SpecValidationError } from '../../core/errors.js';

export interface HttpBackendOptions {
  kind: 'http' | 'api';
  baseUrl: string;
  baseName: string;
  apiKey: string | null;
  apiKeySource: string;
  timeoutS: number;
  concurrency: number;
  retries: number;
  topLogprobs: number;
  vocabSize: number | null;
  views: Record<string, string>;
  runtimeLora: boolean;
  adapter: string | null;
  adapterDir: string | null;
  serverAdapterDir: string | null;
  localBase: string | null;
  server: 'auto' | 'vllm' | 'llama-cpp-python' | 'openai';
  /** Backoff before retry n in ms (tests shorten it). */
  backoffMs?: (attempt: number) => number;
}

/** The API key: from the variable the spec names, else SWAY_API_KEY, else OPENAI_API_KEY (the reference's order). */
export function readApiKey(envName: string | null, env: NodeJS.ProcessEnv = process.env): { key: string | null; source: string } {
  if (envName) {
    const key = env[envName];
    return { key: key && key.length > 0 ? key : null, source: envName };
  }
  for (const name of ['SWAY_API_KEY', 'OPENAI_API_KEY']) {
    const key = env[name];
    if (key) return { key, source: name };
  }
  return { key: null, source: 'api_key_env (or SWAY_API_KEY)' };
}

export function httpOptionsFromSpec(m: ModelSpec, env: NodeJS.ProcessEnv = process.env): HttpBackendOptions {
  const kind = m.kind === 'api' ? 'api' : 'http';
  const url = m.base_url ?? m.endpoint;
  if (!url) {
    throw new SpecValidationError(
      kind === 'api'
        ? 'api backend requires `endpoint:` on the ModelSpec (the base URL of the /v1/completions server)'
        : 'http backend requires `base_url:` on the model entry (e.g. base_url: http://localhost:8000)',
      'models',
    );
  }
  if (!/^https?:\/\//.test(url)) throw new SpecValidationError(`base_url must start with http:// or https://, got '${url}'`, 'models');
  const { key, source } = readApiKey(m.api_key_env, env);
  if (m.api_key_env && !key) {
    throw new SpecValidationError(`api_key_env names ${m.api_key_env}, but that environment variable is not set — export it before running sway`, 'models');
  }
  const views = { ...m.views };
  // The reference's `api` kind serves one model for both sides (its documented pitfall).
  if (kind === 'api' && !views['ft']) views['ft'] = m.base;
  if (m.runtime_lora && !m.adapter_dir) throw new SpecValidationError('runtime_lora: true needs adapter_dir: (a directory the server can read, where sway writes adapters)', 'models');
  return {
    kind,
    baseUrl: url.replace(/\/+$/, '').replace(/\/v1$/, ''),
    baseName: m.base,
    apiKey: key,
    apiKeySource: source,
    timeoutS: m.timeout_s,
    concurrency: m.concurrency,
    retries: m.retries,
    topLogprobs: m.top_logprobs,
    vocabSize: m.vocab_size,
    views,
    runtimeLora: m.runtime_lora,
    adapter: m.adapter,
    adapterDir: m.adapter_dir,
    serverAdapterDir: m.server_adapter_dir,
    localBase: m.local_base,
    server: m.server,
  };
}
