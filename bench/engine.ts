/**
 * Engine micro-benchmark: a random fp32 model of SmolLM2-135M's shape with a rank-8 LoRA
 * on all seven projections of every layer. Prints ms per forward (median) for the base and
 * ft views and for base+ft batched as two rows, effective GFLOP/s, generation speed, load
 * time and peak RSS. Run with `npm run bench:engine` (options: --threads N, --reps N).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSafetensorsSource, writeSafetensors } from '../src/engine/safetensors/index.js';
import { Rng } from '../src/core/rng.js';
import type { LayerModule, LoadedAdapter, LoraSlot } from '../src/engine/adapter/types.js';
import { generateIds } from '../src/engine/generate.js';
import { buildEngine } from '../src/engine/load.js';
import type { ArchSpec } from '../src/engine/types.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const THREADS = arg('threads', cpus().length);
const REPS = arg('reps', 5);
const RANK = 8;

const arch: ArchSpec = {
  family: 'llama',
  hiddenSize: 576,
  intermediateSize: 1536,
  numLayers: 30,
  numHeads: 9,
  numKvHeads: 3,
  headDim: 64,
  vocabSize: 49152,
  maxPositionEmbeddings: 8192,
  rmsNormEps: 1e-5,
  hiddenAct: 'silu',
  tieWordEmbeddings: true,
  qkvBias: false,
  oBias: false,
  mlpBias: false,
  qkNorm: false,
  rope: { theta: 100000, rotaryDim: 64, scaling: { type: 'default' } },
  slidingWindow: new Array<null>(30).fill(null),
  bosTokenId: 1,
  eosTokenIds: [2],
  padTokenId: null,
};

const MODULES: [LayerModule, 'self_attn' | 'mlp', number, number][] = [
  ['q_proj', 'self_attn', 576, 576],
  ['k_proj', 'self_attn', 576, 192],
  ['v_proj', 'self_attn', 576, 192],
  ['o_proj', 'self_attn', 576, 576],
  ['gate_proj', 'mlp', 576, 1536],
  ['up_proj', 'mlp', 576, 1536],
  ['down_proj', 'mlp', 1536, 576],
];

function tensorShapes(): Map<string, number[]> {
  const shapes = new Map<string, number[]>([
    ['model.embed_tokens.weight', [arch.vocabSize, arch.hiddenSize]],
    ['model.norm.weight', [arch.hiddenSize]],
  ]);
  for (let l = 0; l < arch.numLayers; l++) {
    shapes.set(`model.layers.${l}.input_layernorm.weight`, [arch.hiddenSize]);
    shapes.set(`model.layers.${l}.post_attention_layernorm.weight`, [arch.hiddenSize]);
    for (const [m, block, inn, out] of MODULES) shapes.set(`model.layers.${l}.${block}.${m}.weight`, [out, inn]);
  }
  return shapes;
}

/** Writes the random fp32 checkpoint (run in a child process so its memory does not count). */
function writeRandomModel(file: string): void {
  const tensors = [...tensorShapes()].map(([name, shape]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = name.endsWith('norm.weight') ? new Float32Array(size).fill(1) : new Rng(size ^ name.length).fillNormal(new Float32Array(size), 0.02);
    return { name, dtype: 'F32' as const, shape, data };
  });
  mkdirSync(path.dirname(file), { recursive: true });
  writeSafetensors(file, tensors);
}

function modelFile(): string {
  const file = path.join(tmpdir(), 'sway-bench-smollm2-shape', 'model.safetensors');
  if (!existsSync(file)) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--write-model', file], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('writing the random model failed');
  }
  return file;
}

function randomAdapter(): LoadedAdapter {
  const rng = new Rng(7);
  const slots: LoraSlot[] = [];
  for (let l = 0; l < arch.numLayers; l++) {
    for (const [m, block, inn, out] of MODULES) {
      slots.push({
        modulePath: `model.layers.${l}.${block}.${m}`,
        target: { scope: 'layer', layer: l, module: m },
        rank: RANK,
        inFeatures: inn,
        outFeatures: out,
        scaling: 2,
        a: rng.fillNormal(new Float32Array(RANK * inn), 0.02),
        b: rng.fillNormal(new Float32Array(out * RANK), 0.02),
        bBias: null,
        magnitude: null,
      });
    }
  }
  return { dir: '<memory>', contentHash: '0'.repeat(64), baseModelNameOrPath: null, useDora: false, slots, overrides: new Map(), trainableTokens: null, warnings: [] };
}

const LINEAR_PARAMS = arch.numLayers * MODULES.reduce((a, [, , i, o]) => a + i * o, 0);
const HEAD_PARAMS = arch.vocabSize * arch.hiddenSize;
/** FLOPs of one row: all linears over S tokens, causal attention, lm_head at `heads` positions. */
function flops(S: number, heads: number): number {
  return 2 * S * LINEAR_PARAMS + 2 * heads * HEAD_PARAMS + 4 * arch.numHeads * arch.headDim * ((S * (S + 1)) / 2) * arch.numLayers;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const ts: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

async function main(): Promise<void> {
  const file = modelFile();
  const adapter = randomAdapter();
  const tLoad = performance.now();
  const source = openSafetensorsSource(file);
  const engine = await buildEngine(arch, source, adapter, THREADS);
  const loadMs = performance.now() - tLoad;
  const base = engine.views.feeds({ kind: 'base' });
  const ft = engine.views.feeds({ kind: 'ft' });
  const rng = new Rng(3);
  const rows: string[] = [];
  const fmt = (ms: number, gf: number) => `${ms.toFixed(1).padStart(8)} ms ${`(${gf.toFixed(0)} GF/s)`.padStart(11)}`;
  for (const S of [16, 64, 256]) {
    const ids = Array.from({ length: S }, () => rng.int(arch.vocabSize));
    const last = [S - 1];
    const tb = await timeIt(() => engine.session.forward([{ ids, view: base, positions: last }]));
    const tf = await timeIt(() => engine.session.forward([{ ids, view: ft, positions: last }]));
    const tbf = await timeIt(() => engine.session.forward([{ ids, view: base, positions: last }, { ids, view: ft, positions: last }]));
    const f = flops(S, 1) / 1e6;
    rows.push(`| ${String(S).padStart(3)} | ${fmt(tb, f / tb)} | ${fmt(tf, f / tf)} | ${(tf / tb).toFixed(2).padStart(5)}× | ${fmt(tbf, (2 * f) / tbf)} | ${(tbf / (tb + tf)).toFixed(2).padStart(5)}× |`);
  }
  const prompt = Array.from({ length: 16 }, () => rng.int(arch.vocabSize));
  const newTokens = 16;
  const tg0 = performance.now();
  await generateIds(engine.session, ft, prompt, newTokens, {});
  const genMs = performance.now() - tg0;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  const weightMb = ((LINEAR_PARAMS + HEAD_PARAMS + (2 * arch.numLayers + 1) * arch.hiddenSize) * 4) / 2 ** 20;
  console.log(`engine bench: SmolLM2-135M shape (fp32, random), LoRA r=${RANK} on 7 projections × ${arch.numLayers} layers, ${THREADS} threads, median of ${REPS}`);
  console.log('logits at the last position only (next-token / generation shape); FLOPs count linears, causal attention and one lm_head row\n');
  console.log('|   S | base                   | ft                     | ft/base | base+ft batched (2 rows) | vs base then ft |');
  console.log('|----:|------------------------|------------------------|--------:|--------------------------|----------------:|');
  for (const r of rows) console.log(r);
  console.log(`\ngeneration (ft, 16-token prompt, ${newTokens} new tokens, greedy, KV cache): ${((newTokens * 1000) / genMs).toFixed(1)} tokens/s`);
  console.log(`load (read fp32 safetensors + graph build + session create): ${(loadMs / 1000).toFixed(2)} s`);
  console.log(`peak RSS ${rssMb.toFixed(0)} MB = ${(rssMb / weightMb).toFixed(2)}× fp32 weight bytes (${weightMb.toFixed(0)} MB)`);
  await engine.session.release();
  // the same base without any LoRA inputs, to show what the LoRA branch costs the base view
  const plain = await buildEngine(arch, source, null, THREADS);
  const plainView = plain.views.feeds({ kind: 'base' });
  const plainRows: string[] = [];
  for (const S of [16, 64, 256]) {
    const ids = Array.from({ length: S }, () => rng.int(arch.vocabSize));
    const t = await timeIt(() => plain.session.forward([{ ids, view: plainView, positions: [S - 1] }]));
    plainRows.push(`S=${S}: ${fmt(t, flops(S, 1) / 1e6 / t).trim()}`);
  }
  console.log(`base on a graph without LoRA inputs: ${plainRows.join('; ')}`);
  await plain.session.release();
  source.close();
}

const writeAt = process.argv.indexOf('--write-model');
(writeAt >= 0 ? Promise.resolve(writeRandomModel(process.argv[writeAt + 1]!)) : main()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
