// vLLM cannot run here (it needs a GPU build and model weights), so its HTTP calls are
// pinned with request/response pairs taken from vLLM's source:
//   vllm/entrypoints/openai/models/serving.py   load_lora_adapter / unload_lora_adapter
//     request {lora_name, lora_path}; 200 with the plain-text body
//     "Success: LoRA adapter '<name>' added successfully." / "... removed successfully.";
//     400 "The lora adapter '<name>' has already been loaded. ..." on a second load;
//     404 "The lora adapter '<name>' cannot be found." on unloading an unknown name.
//   vllm/entrypoints/openai/completion/serving.py  echo + logprobs: tokens are the prompt's
//     followed by the generated ones, token_logprobs[0] is null, text_offset accumulates
//     token lengths, usage.prompt_tokens counts the prompt.
// A small fake replays those pairs and checks that sway sends exactly those requests.
import { NULL_DRAW_VERSION } from '../../src/core/rng.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpBackend, httpOptionsFromSpec, type HttpBackend } from '../../src/backends/http/index.js';
import { ModelSpecSchema } from '../../src/core/schema.js';
import { loadAdapter } from '../../src/engine/adapter/load.js';
import { nullAdapterSlots } from '../../src/engine/adapter/null.js';
import { loadArch } from '../../src/engine/config.js';
import { Engine } from '../../src/engine/engine.js';
import { SafetensorsSource } from '../../src/engine/safetensors/reader.js';
import { tinyFixtures } from '../support/fixtures.js';
import { echoResponse, modelsResponse, startTestServer, type RecordedRequest, type TestServer } from './test-server.js';

const BASE = 'meta-llama/Llama-3.1-8B';

/** The fake vLLM: the routes and bodies of vLLM's OpenAI server with runtime LoRA updating on. */
function fakeVllm() {
  const loaded = new Map<string, string>();
  return (req: RecordedRequest) => {
    const body = req.body as Record<string, unknown>;
    switch (req.path) {
      case '/v1/models':
        // vLLM's ModelCard: owned_by "vllm"; LoRA cards carry root (path) and parent (base)
        return { json: { object: 'list', data: [...modelsResponse([BASE]).data.map((m) => ({ ...m, owned_by: 'vllm', root: BASE })), ...[...loaded].map(([id, path]) => ({ id, object: 'model', owned_by: 'vllm', root: path, parent: BASE }))] } };
      case '/v1/load_lora_adapter': {
        const name = body['lora_name'] as string;
        if (!name || !body['lora_path']) return { status: 400, json: { error: { message: "Both 'lora_name' and 'lora_path' must be provided.", type: 'InvalidUserInput', code: 400 } } };
        if (loaded.has(name)) {
          return { status: 400, json: { error: { message: `The lora adapter '${name}' has already been loaded. If you want to load the adapter in place, set 'load_inplace' to True.`, type: 'InvalidUserInput', code: 400 } } };
        }
        loaded.set(name, body['lora_path'] as string);
        return { text: `Success: LoRA adapter '${name}' added successfully.` };
      }
      case '/v1/unload_lora_adapter': {
        const name = body['lora_name'] as string;
        if (!loaded.delete(name)) return { status: 404, json: { error: { message: `The lora adapter '${name}' cannot be found.`, type: 'NotFoundError', code: 404 } } };
        return { text: `Success: LoRA adapter '${name}' removed successfully.` };
      }
      case '/v1/completions': {
        const model = body['model'] as string;
        if (model !== BASE && !loaded.has(model)) return { status: 404, json: { error: { message: `The model \`${model}\` does not exist.`, type: 'NotFoundError', code: 404 } } };
        if (!body['echo']) {
          // logprobs k with return_tokens_as_token_ids: every token is 'token_id:N'; the sampled
          // token is included (k+1 entries at most), values clamped at -9999.0.
          if (body['return_tokens_as_token_ids'] !== true) return { status: 400, json: { error: { message: 'test expects return_tokens_as_token_ids', code: 400 } } };
          return { json: { choices: [{ index: 0, text: ' Paris', logprobs: { text_offset: [0], token_logprobs: [-0.3], tokens: ['token_id:12366'], top_logprobs: [{ 'token_id:12366': -0.3, 'token_id:279': -1.9, 'token_id:264': -2.8 }] }, finish_reason: 'length' }], usage: { prompt_tokens: 6, completion_tokens: 1, total_tokens: 7 } } };
        }
        // "The capital of France is Paris" as a llama tokenizer splits it; one generated token.
        const tokens = ['The', ' capital', ' of', ' France', ' is', ' Paris'];
        const shift = model === BASE ? 0 : -0.25;
        // max_tokens 0 with echo: token_ids = prompt_token_ids, logprobs = prompt_logprobs (nothing generated)
        const generated = body['max_tokens'] === 0 ? undefined : { token: '.', logprob: -0.4 };
        return { json: echoResponse(model, tokens, [null, -9.1, -1.2, -3.3, -0.9, -2.5 + shift], generated) };
      }
    }
    return { status: 404, json: { detail: 'Not Found' } };
  };
}

describe('vLLM runtime LoRA loading (replayed from vLLM source; vLLM itself cannot run here)', () => {
  let server: TestServer;
  let backend: HttpBackend;
  const adapterDir = mkdtempSync(join(tmpdir(), 'sway-vllm-adapters-'));
  const fx = tinyFixtures();

  beforeAll(async () => {
    server = await startTestServer(fakeVllm());
    const spec = ModelSpecSchema.parse({ kind: 'http', base: BASE, base_url: `${server.url}/v1`, adapter: fx.trained, local_base: fx.base, runtime_lora: true, adapter_dir: adapterDir, server_adapter_dir: '/mnt/shared/sway-adapters' });
    backend = await createHttpBackend(httpOptionsFromSpec(spec, {}));
  });
  afterAll(async () => {
    await backend?.close();
    await server?.close();
  });

  it('ft, scaled and null views are written, loaded for the view, scored, and unloaded', async () => {
    expect(backend.asScaledAdapter).toBeTypeOf('function');
    expect(backend.asNullAdapter).toBeTypeOf('function');
    const lp = await backend.asNullAdapter!(3, {}, (v) => v.logprobOf('The capital of France is', ' Paris'));
    expect(lp).toBeCloseTo(-2.75, 12);
    expect(await backend.asBase((v) => v.logprobOf('The capital of France is', ' Paris'))).toBeCloseTo(-2.5, 12);
    await backend.asScaledAdapter!(0.5, (v) => v.rollingLogprob('The capital of France is Paris'));
    await backend.asFinetuned((v) => v.rollingLogprob('The capital of France is Paris'));
    const calls = server.requests.filter((r) => r.path !== '/v1/models').map((r) => [r.path, r.body] as const);
    const loads = calls.filter(([p]) => p === '/v1/load_lora_adapter').map(([, b]) => b as { lora_name: string; lora_path: string });
    // A null's name carries the null-draw stream (a folder from a build with another stream is not reused).
    expect(loads.map((l) => l.lora_name.replace(/^sway-[0-9a-f]{12}-/, ''))).toEqual([`null_3-draw${NULL_DRAW_VERSION}`, 'scaled_0.50', 'ft']);
    for (const l of loads) expect(l.lora_path).toBe(`/mnt/shared/sway-adapters/${l.lora_name}`);
    // Each load is followed by the view's completions and then its unload.
    const first = loads[0]!.lora_name;
    expect(calls.slice(0, 3).map(([p, b]) => [p, (b as { model?: string; lora_name?: string }).model ?? (b as { lora_name: string }).lora_name])).toEqual([
      ['/v1/load_lora_adapter', first],
      ['/v1/completions', first],
      ['/v1/unload_lora_adapter', first],
    ]);
    expect(calls[1]![1]).toMatchObject({ prompt: 'The capital of France is Paris', echo: true, logprobs: 0, max_tokens: 0, temperature: 0 });
    expect(backend.stats()).toMatchObject({ adapters_written: 3, adapters_loaded: 3, adapters_unloaded: 3 });
  });

  it('the null folder holds the bits the local engine draws for the same seed', async () => {
    const name = (server.requests.find((r) => r.path === '/v1/load_lora_adapter')!.body as { lora_name: string }).lora_name;
    const written = join(adapterDir, name);
    expect(JSON.parse(readFileSync(join(written, 'adapter_config.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(fx.trained, 'adapter_config.json'), 'utf8')));
    const arch = loadArch(fx.base);
    const weights = SafetensorsSource.openDir(fx.base);
    const real = loadAdapter(fx.trained, arch, weights);
    const remote = loadAdapter(written, arch, weights);
    weights.close();
    const local = nullAdapterSlots(real.slots, 3, { initScale: 0.02, rankScale: 1 });
    expect(remote.slots.map((s) => s.modulePath)).toEqual(local.map((s) => s.modulePath));
    remote.slots.forEach((s, i) => {
      expect(Buffer.from(s.a.buffer, s.a.byteOffset, s.a.byteLength).equals(Buffer.from(local[i]!.a.buffer, local[i]!.a.byteOffset, local[i]!.a.byteLength))).toBe(true);
      expect(s.scaling).toBe(local[i]!.scaling);
    });
    // And as a model: the written folder, loaded as an ordinary adapter, is the engine's null_3 view.
    const viaEngine = await Engine.load({ base: fx.base, adapter: fx.trained, threads: 1 });
    const viaFolder = await Engine.load({ base: fx.base, adapter: written, threads: 1 });
    try {
      const ids = viaEngine.encode('The capital of France is');
      const a = await viaEngine.fullLogits({ kind: 'null', seed: 3 }, ids);
      const b = await viaFolder.fullLogits({ kind: 'ft' }, ids);
      let max = 0;
      for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
      expect(max).toBeLessThan(1e-5);
    } finally {
      await viaEngine.close();
      await viaFolder.close();
    }
  });

  it('an adapter left loaded by an earlier run ("already been loaded") is reused, not fatal', async () => {
    const name = (server.requests.find((r) => r.path === '/v1/load_lora_adapter')!.body as { lora_name: string }).lora_name;
    await fetch(`${server.url}/v1/load_lora_adapter`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lora_name: name, lora_path: 'x' }) });
    expect(await backend.asNullAdapter!(3, {}, (v) => v.logprobOf('The capital of France is', ' Paris'))).toBeCloseTo(-2.75, 12);
  });

  it('next-token alternatives carry vLLM\'s real token ids (return_tokens_as_token_ids)', async () => {
    const d = await backend.asBase((v) => v.nextTokenDist('The capital of France is', 3));
    expect(Array.from(d.tokenIds)).toEqual([12366, 279, 264]);
    expect(Array.from(d.logprobs)).toEqual([-0.3, -1.9, -2.8]);
    const sent = server.requests.filter((r) => r.path === '/v1/completions').at(-1)!.body;
    expect(sent).toMatchObject({ model: BASE, prompt: 'The capital of France is', max_tokens: 1, logprobs: 3, temperature: 0, return_tokens_as_token_ids: true });
  });

  it('a null view with another init_scale is its own folder, not the default one', async () => {
    await backend.asNullAdapter!(3, { initScale: 0.05 }, (v) => v.logprobOf('The capital of France is', ' Paris'));
    const names = server.requests.filter((r) => r.path === '/v1/load_lora_adapter').map((r) => (r.body as { lora_name: string }).lora_name.replace(/^sway-[0-9a-f]{12}-/, ''));
    expect(names).toContain(`null_3_init0.05-draw${NULL_DRAW_VERSION}`);
  });

  it('batched multi-view calls load every view once and unload them all', async () => {
    const before = backend.stats();
    const out = await backend.logprobOfViews([{ kind: 'base' }, { kind: 'null', seed: 4 }, { kind: 'null', seed: 4, rankScale: 2 }], [{ prompt: 'The capital of France is', completion: ' Paris' }]);
    expect(out.map((r) => r[0])).toEqual([-2.5, -2.75, -2.75]);
    const after = backend.stats();
    expect(after['adapters_loaded']! - before['adapters_loaded']!).toBe(2);
    expect(after['adapters_unloaded']! - before['adapters_unloaded']!).toBe(2);
  });
});
