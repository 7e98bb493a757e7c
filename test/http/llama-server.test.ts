// The http backend against a real server: llama-cpp-python's OpenAI-compatible server
// (PyPI llama-cpp-python 0.3.36, built by test/support/llama-server-env.sh, which .ci/run
// calls). The tiny fixture is converted to GGUF with sway's own writer: the base model,
// `ft` (the trained adapter), `ft-scaled-0.5` and null adapters written by
// `sway convert-adapter` (llama-cpp-python's server config has no lora_scale, so the scaled
// view is a scaled adapter file). The server is started on 127.0.0.1 and stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpBackend, type HttpBackend, type HttpBackendOptions } from '../../src/backends/http/index.js';
import { loadAdapterWithArch, variantSlots, type VariantView } from '../../src/backends/http/adapter-variants.js';
import type { ViewSelector } from '../../src/core/views.js';
import { writeLoraGguf } from '../../src/engine/gguf/lora.js';
import { convertModelToGguf } from '../../src/engine/gguf/model.js';
import type { Kv } from '../../src/engine/gguf/writer.js';
import { byteAlphabet } from '../../src/engine/fixtures/tokenizer-gen.js';
import { viewId } from '../../src/engine/views.js';
import { demoSpecYaml } from '../../src/suite/demo-specs.js';
import { executeSpec, loadSpecText } from '../../src/suite/execute.js';
import { createEngineBackend } from '../../src/backends/engine.js';
import { runBackendConformance } from '../support/backend-conformance.js';
import { swayIn } from '../support/cli.js';
import { tinyFixtures } from '../support/fixtures.js';

const VENV = join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'sway', 'http-venv');
const PYTHON = join(VENV, 'bin', 'python');
const READY = existsSync(join(VENV, '.sway-llama-server-0.3.36')) && existsSync(PYTHON);
if (!READY) process.stderr.write(`skipping the llama-cpp-python server tests: no server environment at ${VENV} — run test/support/llama-server-env.sh (.ci/run does)\n`);

/**
 * llama-cpp-python keys top_logprobs by each token's decoded text (utf-8, errors ignored),
 * so byte tokens that are not valid UTF-8 on their own, and control tokens, all become ''
 * and overwrite each other. The test model names them with distinct printable text
 * (<0x80>, user-defined specials) so every token keeps its own entry; prompts are ASCII,
 * so tokenization is unchanged.
 */
function distinctPieces(kvs: Kv[]): Kv[] {
  const byteOf = new Map(byteAlphabet().map((ch, b) => [ch, b]));
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  return kvs.map((kv) => {
    if (kv[0] === 'tokenizer.ggml.tokens') {
      return [kv[0], 'arr_str', (kv[2] as string[]).map((t) => {
        const bytes = [...t].map((c) => byteOf.get(c));
        if (bytes.some((b) => b === undefined)) return t;
        try {
          utf8.decode(Uint8Array.from(bytes as number[]));
          return t;
        } catch {
          return `<0x${(bytes as number[]).map((b) => b.toString(16).padStart(2, '0')).join('')}>`;
        }
      })];
    }
    if (kv[0] === 'tokenizer.ggml.token_type') return [kv[0], 'arr_i32', (kv[2] as number[]).map((t) => (t === 3 || t === 5 ? 4 : t))];
    return kv;
  });
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const NAMES: Record<string, string> = { ft: 'ft', 'scaled_0.50': 'ft-scaled-0.5' };
const servedName = (id: string) => NAMES[id] ?? id.replace(/_/g, '-');

/** Every view the conformance suite and the demo suite open, besides base. */
function neededViews(): VariantView[] {
  const out: VariantView[] = [{ kind: 'ft' }];
  for (const lambda of [0.25, 0.5, 0.75, 1.25]) out.push({ kind: 'scaled', lambda });
  for (const seed of [1, 2, 5, 6, 9]) out.push({ kind: 'null', seed });
  for (const [seed, ranks] of [[2, [2]], [5, [0.25, 2, 4]], [9, [0.25, 4]]] as const) for (const r of ranks) out.push({ kind: 'null', seed, rankScale: r });
  for (let seed = 1000; seed < 1006; seed++) for (const r of [0.5, 1, 2]) out.push({ kind: 'null', seed, rankScale: r });
  return out;
}

describe.skipIf(!READY)('http backend on llama-cpp-python (real server)', () => {
  const fx = tinyFixtures();
  const root = mkdtempSync(join(tmpdir(), 'sway-llama-server-'));
  let server: ChildProcess | null = null;
  let url = '';
  let log = '';
  const views: Record<string, string> = {};

  beforeAll(async () => {
    convertModelToGguf(fx.base, join(root, 'base.gguf'), { name: 'sway-tiny', transformKvs: distinctPieces });
    // Four adapters through the CLI (the command users run), the rest through the same library calls.
    for (const [args, id] of [[[], 'ft'], [['--scale', '0.5'], 'scaled_0.50'], [['--null-seed', '1000'], 'null_1000'], [['--null-seed', '1001'], 'null_1001']] as const) {
      const r = await swayIn(['convert-adapter', fx.trained, join(root, `${servedName(id)}.gguf`), '--base', fx.base, ...args]);
      expect(r.code, r.stderr).toBe(0);
    }
    const { adapter, arch } = loadAdapterWithArch(fx.trained, fx.base);
    const models: Record<string, unknown>[] = [{ model: join(root, 'base.gguf'), model_alias: 'base' }];
    for (const v of neededViews()) {
      const id = viewId(v);
      const name = servedName(id);
      const file = join(root, `${name}.gguf`);
      if (!existsSync(file)) writeLoraGguf(file, variantSlots(adapter, v), arch, { name, what: fx.trained });
      views[id] = name;
      models.push({ model: join(root, 'base.gguf'), model_alias: name, lora_path: file });
    }
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // F32 KV cache and no flash attention, as in the llama.cpp cross-check: the default F16 cache costs ~1e-2 in logprobs.
    const settings = { n_ctx: 512, n_threads: 1, n_batch: 512, logits_all: true, verbose: false, type_k: 0, type_v: 0, flash_attn: false };
    writeFileSync(join(root, 'server.json'), JSON.stringify({ host: '127.0.0.1', port, models: models.map((m) => ({ ...m, ...settings })) }, null, 2));
    server = spawn(PYTHON, ['-m', 'llama_cpp.server', '--config_file', join(root, 'server.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Ready when uvicorn says it listens (an event, not a sleep); the limit only bounds a broken start.
    await new Promise<void>((resolve, reject) => {
      const limit = setTimeout(() => reject(new Error(`llama-cpp-python server did not start:\n${log.slice(-2000)}`)), 120_000);
      const onData = (d: Buffer) => {
        log += d.toString();
        if (/Uvicorn running on/.test(log)) {
          clearTimeout(limit);
          resolve();
        }
      };
      server!.stdout!.on('data', onData);
      server!.stderr!.on('data', onData);
      server!.once('exit', (code) => {
        clearTimeout(limit);
        reject(new Error(`llama-cpp-python server exited (${code}):\n${log.slice(-2000)}`));
      });
    });
    expect((await fetch(`${url}/v1/models`)).ok).toBe(true);
  }, 180_000);

  afterAll(async () => {
    if (server?.pid && server.exitCode === null) {
      const gone = new Promise((r) => server!.once('exit', r));
      process.kill(server.pid, 'SIGTERM');
      // uvicorn shuts down on SIGTERM; SIGKILL only if it does not, so the suite never hangs here
      const hard = setTimeout(() => server?.pid && process.kill(server.pid, 'SIGKILL'), 15_000);
      await gone;
      clearTimeout(hard);
    }
  });

  const options = (): HttpBackendOptions => ({
    kind: 'http',
    baseUrl: url,
    baseName: 'base',
    apiKey: null,
    apiKeySource: 'SWAY_API_KEY',
    timeoutS: 60,
    concurrency: 4,
    retries: 0,
    topLogprobs: 1000,
    vocabSize: null,
    views,
    runtimeLora: false,
    adapter: null,
    adapterDir: null,
    serverAdapterDir: null,
    localBase: null,
    server: 'auto',
  });

  runBackendConformance({
    name: 'http (llama-cpp-python)',
    create: () => createHttpBackend(options()),
    // the server's numbers are deterministic; two instances ask the same server
    tolerance: 1e-9,
  });

  it('detects llama-cpp-python and lists the views it offers', async () => {
    const b = await createHttpBackend(options());
    const d = b.describeViews();
    expect(d.flavor).toBe('llama-cpp-python');
    expect(d.served).toContain('ft-scaled-0.5');
    expect(d.views['scaled_0.50']).toMatch(/ft-scaled-0.5/);
    expect(d.views['null_0']).toBeNull();
  });

  it('scores match the local engine: next-token dists, completion logprobs and rolling logprobs (within 1e-3)', async () => {
    const local = await createEngineBackend({ base: fx.base, adapter: fx.trained });
    const remote: HttpBackend = await createHttpBackend(options());
    try {
      const prompts = ['The capital of France is', 'Once upon a time there was a', 'The sky is'];
      const pairs = [{ prompt: 'The capital of France is', completion: ' Paris' }, { prompt: 'Once upon a time', completion: ' there was a king' }];
      const sel: ViewSelector[] = [{ kind: 'base' }, { kind: 'ft' }, { kind: 'scaled', lambda: 0.5 }, { kind: 'null', seed: 1000 }];
      const [ld, rd] = [await local.nextTokenDistViews(sel, prompts, 32), await remote.nextTokenDistViews(sel, prompts, 32)];
      let maxDist = 0;
      ld.forEach((row, v) => row.forEach((d, p) => {
        const r = rd[v]![p]!;
        expect(r.logprobs.length).toBe(d.logprobs.length);
        d.logprobs.forEach((x, i) => (maxDist = Math.max(maxDist, Math.abs(x - r.logprobs[i]!))));
        // the tail is ln(1 - top-k mass): compare the masses, which the server computes in fp32
        expect(Math.abs(Math.exp(d.tailLogprob ?? -Infinity) - Math.exp(r.tailLogprob ?? -Infinity))).toBeLessThan(1e-4);
      }));
      const [ll, rl] = [await local.logprobOfViews(sel, pairs), await remote.logprobOfViews(sel, pairs)];
      let maxLp = 0;
      ll.forEach((row, v) => row.forEach((x, p) => (maxLp = Math.max(maxLp, Math.abs(x - rl[v]![p]!)))));
      const text = 'The quick brown fox jumps over the lazy dog';
      const [lr, rr] = [await local.asFinetuned((v) => v.rollingLogprob(text)), await remote.asFinetuned((v) => v.rollingLogprob(text))];
      expect(rr.logprobs.length).toBe(lr.logprobs.length);
      // Greedy generation picks the same tokens (the server's own repeat penalty is turned off);
      // the test model prints lone high bytes as <0xNN> where the engine decodes them to U+FFFD.
      const asEngine = (t: string) => t.replace(/<0x((?:[0-9a-f]{2})+)>/g, (_m, hex: string) => '\ufffd'.repeat(hex.length / 2));
      for (const p of prompts) {
        const opts = { maxNewTokens: 12 };
        expect(asEngine(await remote.asFinetuned((v) => v.generate(p, opts)))).toBe(await local.asFinetuned((v) => v.generate(p, opts)));
      }
      process.stderr.write(`llama-cpp-python vs sway engine: max |Δ top-32 logprob| = ${maxDist.toExponential(2)}, max |Δ completion logprob| = ${maxLp.toExponential(2)}, |Δ rolling total| = ${Math.abs(lr.totalLogprob - rr.totalLogprob).toExponential(2)}\n`);
      expect(maxDist).toBeLessThan(1e-3);
      expect(maxLp).toBeLessThan(1e-3);
      expect(Math.abs(lr.totalLogprob - rr.totalLogprob)).toBeLessThan(1e-3);
    } finally {
      await local.close();
      await remote.close();
    }
  });

  it('the demo suite gives the same verdicts locally and remotely, raw within 1e-3', async () => {
    const localText = demoSpecYaml(fx.base, fx.trained);
    const viewYaml = Object.entries(views).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ');
    const remoteText = localText.replace(/ {2}ft: \{kind: hf.*\}/, `  ft: {kind: http, base: base, base_url: "${url}", concurrency: 4, top_logprobs: 1000, views: {${viewYaml}}}`);
    expect(remoteText).toContain('kind: http');
    const concurrency = Number(process.env['SWAY_HTTP_TEST_CONCURRENCY'] ?? 4);
    const t0 = performance.now();
    const local = await executeSpec(loadSpecText(localText, 'local.yaml', root));
    const t1 = performance.now();
    const loaded = loadSpecText(remoteText, 'remote.yaml', root);
    const backend = await createHttpBackend({ ...options(), concurrency });
    const perProbe: string[] = [];
    let seen = 0;
    const remote = await executeSpec(loaded, {
      backend,
      onProgress: (e) => {
        if (e.type !== 'done') return;
        const n = backend.stats()['http_requests']!;
        perProbe.push(`${e.result.name}=${n - seen}`);
        seen = n;
      },
    });
    const t2 = performance.now();
    process.stderr.write(`demo suite wall time: local engine ${((t1 - t0) / 1000).toFixed(2)} s, llama-cpp-python over http (concurrency ${concurrency}) ${((t2 - t1) / 1000).toFixed(2)} s; http requests per probe: ${perProbe.join(', ')}\n`);
    expect(remote.suite.probes.map((p) => [p.name, p.verdict])).toEqual(local.suite.probes.map((p) => [p.name, p.verdict]));
    local.suite.probes.forEach((p, i) => {
      const r = remote.suite.probes[i]!;
      if (p.raw === null) expect(r.raw).toBeNull();
      else expect(Math.abs(p.raw - r.raw!), `${p.name}: local ${p.raw} vs remote ${r.raw}`).toBeLessThan(1e-3);
    });
    expect(remote.suite.probes.some((p) => p.z_score !== null), 'null calibration ran remotely').toBe(true);
    writeFileSync(join(root, 'demo-timing.json'), JSON.stringify({ local_s: (t1 - t0) / 1000, remote_s: (t2 - t1) / 1000, stats: remote.suite.backend_stats }));
    expect(readFileSync(join(root, 'demo-timing.json'), 'utf8')).toContain('remote_s');
  }, 600_000);
});
