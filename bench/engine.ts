/**
 * Engine benchmark on a random model of SmolLM2-135M's shape (hidden 576, intermediate
 * 1536, 30 layers, 9 heads, 3 KV heads, vocab 49152, tied) with a rank-8 LoRA on all seven
 * projections; `SWAY_BENCH_SHAPE=360m` uses SmolLM2-360M's instead (hidden 960,
 * intermediate 2560, 32 layers, 15 heads, 5 KV heads). Prints ms per forward (next-token logits) for base, ft and base+ft batched
 * at 16/64/256 tokens, effective GFLOP/s, generation tokens/s, load time and peak RSS, and
 * the time of a second load from the warm-start cache (session-cache.ts) the first one stored.
 * All views run in one process, side by side, so machine noise affects them alike.
 *
 *   npm run bench:engine            (writes the random checkpoint to a temp dir first)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/core/rng.js';
import { writeFileAtomic } from '../src/core/atomic-write.js';
import { Engine } from '../src/engine/engine.js';
import { loraConfig, randomLoraTensors, writeAdapter } from '../src/engine/fixtures/adapters.js';
import { generateTokenizer } from '../src/engine/fixtures/tokenizer-gen.js';
import { FIXTURE_CORPUS } from '../src/engine/fixtures/corpus.js';
import { archFromConfig } from '../src/engine/config.js';
import { writeSafetensors, type TensorToWrite } from '../src/engine/safetensors/writer.js';
import type { ViewSpec } from '../src/engine/views.js';

/** SmolLM2 shapes by name (`SWAY_BENCH_SHAPE`, default 135m). */
const SHAPES = {
  '135m': { hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3 },
  '360m': { hidden_size: 960, intermediate_size: 2560, num_hidden_layers: 32, num_attention_heads: 15, num_key_value_heads: 5 },
};
const SHAPE_NAME = process.env.SWAY_BENCH_SHAPE ?? '135m';
if (!(SHAPE_NAME in SHAPES)) throw new Error(`SWAY_BENCH_SHAPE=${SHAPE_NAME}: use one of ${Object.keys(SHAPES).join(', ')}`);
/** The label of the benchmark model's shape, for the tables. */
const SHAPE_LABEL = `SmolLM2-${SHAPE_NAME.toUpperCase()}`;

const CFG = {
  model_type: 'llama',
  ...SHAPES[SHAPE_NAME as keyof typeof SHAPES],
  vocab_size: 49152,
  max_position_embeddings: 2048,
  rms_norm_eps: 1e-5,
  rope_theta: 100000,
  tie_word_embeddings: true,
  hidden_act: 'silu',
  eos_token_id: 0,
};

function writeModel(dir: string): number {
  const rng = new Rng(1);
  const H = CFG.hidden_size;
  const I = CFG.intermediate_size;
  const D = H / CFG.num_attention_heads;
  const kv = CFG.num_key_value_heads * D;
  const tensors: TensorToWrite[] = [];
  let params = 0;
  const add = (name: string, shape: number[], std: number) => {
    const n = shape.reduce((a, b) => a * b, 1);
    params += n;
    const data = std === 0 ? new Float32Array(n).fill(1) : rng.fillNormal(new Float32Array(n), std);
    tensors.push({ name, dtype: 'BF16', shape, data });
  };
  add('model.embed_tokens.weight', [CFG.vocab_size, H], 0.02);
  for (let l = 0; l < CFG.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    add(`${p}input_layernorm.weight`, [H], 0);
    add(`${p}self_attn.q_proj.weight`, [H, H], 0.02);
    add(`${p}self_attn.k_proj.weight`, [kv, H], 0.02);
    add(`${p}self_attn.v_proj.weight`, [kv, H], 0.02);
    add(`${p}self_attn.o_proj.weight`, [H, H], 0.02);
    add(`${p}post_attention_layernorm.weight`, [H], 0);
    add(`${p}mlp.gate_proj.weight`, [I, H], 0.02);
    add(`${p}mlp.up_proj.weight`, [I, H], 0.02);
    add(`${p}mlp.down_proj.weight`, [H, I], 0.02);
  }
  add('model.norm.weight', [H], 0);
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  const tok = generateTokenizer(FIXTURE_CORPUS, 50);
  writeFileAtomic(join(dir, 'config.json'), JSON.stringify(CFG));
  writeFileAtomic(join(dir, 'tokenizer.json'), JSON.stringify(tok.tokenizerJson));
  writeFileAtomic(join(dir, 'tokenizer_config.json'), JSON.stringify(tok.tokenizerConfig));
  return params;
}

/** FLOPs of one forward over S tokens with logits at the last position only. */
function flops(S: number): number {
  const H = CFG.hidden_size;
  const I = CFG.intermediate_size;
  const D = H / CFG.num_attention_heads;
  const kv = CFG.num_key_value_heads * D;
  const linear = CFG.num_hidden_layers * (H * H * 2 + 2 * kv * H + 3 * H * I);
  const attn = CFG.num_hidden_layers * 2 * 2 * H * ((S * (S + 1)) / 2);
  return 2 * S * linear + attn + 2 * CFG.vocab_size * H;
}

async function median(fn: () => Promise<unknown>, reps: number): Promise<number> {
  for (let i = 0; i < 2; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'sway-bench-'));
  try {
    const base = join(root, 'base');
    process.stderr.write(`writing a random ${SHAPE_LABEL}-shaped checkpoint (bf16) in a child process ...\n`);
    // A child process writes the checkpoint, so this process's peak RSS is the engine's alone.
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--write-model', root], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    if (child.status !== 0) throw new Error('writing the benchmark checkpoint failed');
    const params = Number(child.stdout.trim());

    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const cacheDir = join(root, 'engine-cache');
    const engine = await Engine.load({ base, adapter: join(root, 'lora'), threads: availableParallelism(), cacheDir });
    const loadS = (performance.now() - t0) / 1000;
    const { buildSeconds, sessionSeconds } = engine.stats;
    const rng = new Rng(3);
    const ids = (n: number) => Array.from({ length: n }, () => 1 + rng.int(300));
    const BASE: ViewSpec = { kind: 'base' };
    const FT: ViewSpec = { kind: 'ft' };
    const rows: string[] = [];
    rows.push('| tokens | base ms | ft ms | ft/base | base+ft batched ms | batched / (base+ft) | base GFLOP/s |');
    rows.push('|---:|---:|---:|---:|---:|---:|---:|');
    for (const S of [16, 64, 256]) {
      const x = ids(S);
      const reps = S === 256 ? 5 : 9;
      const b = await median(() => engine.batchedLogits([BASE], x, 'last'), reps);
      const f = await median(() => engine.batchedLogits([FT], x, 'last'), reps);
      const both = await median(() => engine.batchedLogits([BASE, FT], x, 'last'), reps);
      rows.push(`| ${S} | ${b.toFixed(1)} | ${f.toFixed(1)} | ${(f / b).toFixed(2)} | ${both.toFixed(1)} | ${(both / (b + f)).toFixed(2)} | ${(flops(S) / (b / 1000) / 1e9).toFixed(1)} |`);
    }
    const prompt = 'The capital of France is';
    await engine.generate(FT, prompt, { maxNewTokens: 4 });
    const tg = performance.now();
    const n = 32;
    const out = await engine.generateIds(engine.resolveView(FT), ids(16), { maxNewTokens: n });
    const genS = (performance.now() - tg) / 1000;
    const peak = process.resourceUsage().maxRSS * 1024;
    const weightBytes = params * 4;
    process.stdout.write(
      `\nsway engine benchmark — ${SHAPE_LABEL} shape (${(params / 1e6).toFixed(1)}M params), LoRA r=8 on 7 projections x ${CFG.num_hidden_layers} layers\n` +
        `threads ${availableParallelism()}, load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}\n\n` +
        `${rows.join('\n')}\n\n` +
        `generation (ft view, KV cache): ${(out.length / genS).toFixed(1)} tokens/s over ${out.length} tokens\n` +
        `load: ${loadS.toFixed(2)} s (read bf16 + convert + build graph ${buildSeconds.toFixed(2)} s, onnxruntime session ${sessionSeconds.toFixed(2)} s)\n` +
        `peak RSS: ${(peak / 1e9).toFixed(2)} GB = ${(peak / weightBytes).toFixed(2)}x the fp32 weight bytes (${(weightBytes / 1e9).toFixed(2)} GB); RSS before load ${(rssBefore / 1e9).toFixed(2)} GB\n`,
    );
    await engine.close();
    // Second load of the same model: from the warm-start cache the first load stored.
    const t1 = performance.now();
    const again = await Engine.load({ base, adapter: join(root, 'lora'), threads: availableParallelism(), cacheDir });
    const againS = (performance.now() - t1) / 1000;
    process.stdout.write(`second load: ${againS.toFixed(2)} s (warm-start cache ${again.stats.sessionCache}; onnxruntime session ${again.stats.sessionSeconds.toFixed(2)} s)\n`);
    await again.close();
  } finally {
    if (!process.env['SWAY_BENCH_KEEP']) rmSync(root, { recursive: true, force: true });
    else process.stderr.write(`kept ${root}\n`);
  }
}

function writeAll(root: string): void {
  const base = join(root, 'base');
  const params = writeModel(base);
  const arch = archFromConfig(CFG, 'bench config');
  const targets = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
  writeAdapter(join(root, 'lora'), { config: loraConfig(base, 8, 16, targets), tensors: randomLoraTensors(arch, targets, 8, new Rng(2), 0.02) });
  process.stdout.write(`${params}\n`);
}

const writeIdx = process.argv.indexOf('--write-model');
const run = writeIdx >= 0 ? async () => writeAll(process.argv[writeIdx + 1] as string) : main;
run().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
