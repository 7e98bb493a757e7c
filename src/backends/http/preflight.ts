/**
 * The first contact with the server, before any probe: GET /v1/models proves the server
 * is up and accepts the key, and lists the served names the spec's base and views must be
 * among. A server without /v1/models is allowed (with a warning); names are then checked
 * by the first scoring request.
 */
import { z } from 'zod';
import type { HttpClient } from './client.js';
import { HttpBackendError } from './errors.js';
import type { HttpBackendOptions } from './options.js';

const ModelsSchema = z.object({ data: z.array(z.object({ id: z.string(), owned_by: z.string().optional() })) });

export type ServerFlavor = 'vllm' | 'llama-cpp-python' | 'openai';

export interface ServerCheck {
  served: string[];
  flavor: ServerFlavor;
  warnings: string[];
}

export async function checkServer(client: HttpClient, o: Pick<HttpBackendOptions, 'baseName' | 'views' | 'baseUrl' | 'server'>): Promise<ServerCheck> {
  const fixed = o.server === 'auto' ? null : o.server;
  let body: unknown;
  try {
    body = await client.get('/v1/models');
  } catch (err) {
    if (err instanceof HttpBackendError && err.failure === 'not-found') {
      return { served: [], flavor: fixed ?? 'openai', warnings: [`${o.baseUrl}/v1/models is not available; served model names were not checked before the run`] };
    }
    throw err;
  }
  const parsed = ModelsSchema.safeParse(body);
  if (!parsed.success) throw new HttpBackendError('malformed', `malformed response to GET ${o.baseUrl}/v1/models (expected {data: [{id}]}) — is base_url an OpenAI-compatible server?`);
  const served = parsed.data.data.map((m) => m.id);
  const wanted = [['base', o.baseName], ...Object.entries(o.views).map(([id, name]) => [`views.${id}`, name])] as const;
  const missing = wanted.filter(([, name]) => !served.includes(name));
  if (missing.length) {
    throw new HttpBackendError(
      'config',
      `${o.baseUrl} does not serve ${missing.map(([k, n]) => `'${n}' (${k})`).join(', ')}; it serves: ${served.join(', ') || '(nothing)'} — fix the names in the spec or the server's configuration`,
    );
  }
  // llama-cpp-python's model cards say owned_by "me"; vLLM's say "vllm".
  const owners = parsed.data.data.map((m) => m.owned_by);
  const detected: ServerFlavor = owners.length > 0 && owners.every((x) => x === 'me') ? 'llama-cpp-python' : owners.includes('vllm') ? 'vllm' : 'openai';
  return { served, flavor: fixed ?? detected, warnings: [] };
}
