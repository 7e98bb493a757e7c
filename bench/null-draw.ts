/**
 * Null-adapter draws on bench/engine's adapter shape (SmolLM2-135M: hidden 576, intermediate
 * 1536, 30 layers, 3 of 9 heads for k/v; LoRA r=8 on q, k, v, o, gate, up, down): the
 * previous method (Box-Muller `Rng.fillNormal`, A then B row-major, both update norms
 * recomputed per null, separate scaling loops) against today's `nullAdapterSlots`
 * (ziggurat `fillNormalF32`, cached real norm, fused scaling), side by side in one process.
 * Each round builds fresh real slots (so the real-norm cache starts cold, as in a command)
 * and draws five nulls (seeds 1..5) with each method, alternating which goes first.
 * Prints ms per null draw (the first round, with the JIT cold as in a command, then the best
 * and median of all rounds) and the ratios; no asserts.
 *
 *   npm run build && node dist/bench/null-draw.js [rounds]
 */
import { Rng } from '../src/core/rng.js';
import { nullAdapterSlots, type NullScale } from '../src/engine/adapter/null.js';
import type { LayerModule, LoraSlot } from '../src/engine/adapter/types.js';

const H = 576;
const I = 1536;
const KV = 3 * (H / 9);
const LAYERS = 30;
const RANK = 8;
const NULLS = 5;
const SHAPES: [LayerModule, number, number][] = [
  ['q_proj', H, H],
  ['k_proj', H, KV],
  ['v_proj', H, KV],
  ['o_proj', H, H],
  ['gate_proj', H, I],
  ['up_proj', H, I],
  ['down_proj', I, H],
];

/** A trained-looking adapter: A ~ N(0, 0.02^2), B ~ N(0, 0.01^2), scaling alpha/r = 2. */
function realSlots(): LoraSlot[] {
  const rng = new Rng(42);
  const slots: LoraSlot[] = [];
  for (let layer = 0; layer < LAYERS; layer++) {
    for (const [module, inF, outF] of SHAPES) {
      slots.push({
        modulePath: `model.layers.${layer}.${module}`,
        target: { scope: 'layer', layer, module },
        rank: RANK,
        inFeatures: inF,
        outFeatures: outF,
        scaling: 2,
        a: rng.fillNormal(new Float32Array(RANK * inF), 0.02),
        b: rng.fillNormal(new Float32Array(outF * RANK), 0.01),
        bBias: null,
        magnitude: null,
      });
    }
  }
  return slots;
}

/** The previous updateNorm: both Gram matrices in full. */
function previousUpdateNorm(a: Float32Array, b: Float32Array, rank: number): number {
  const inF = a.length / rank;
  const outF = b.length / rank;
  const gA = new Float64Array(rank * rank);
  const gB = new Float64Array(rank * rank);
  for (let i = 0; i < rank; i++) {
    for (let j = i; j < rank; j++) {
      let s = 0;
      for (let k = 0; k < inF; k++) s += (a[i * inF + k] as number) * (a[j * inF + k] as number);
      gA[i * rank + j] = s;
      gA[j * rank + i] = s;
    }
  }
  for (let o = 0; o < outF; o++) {
    for (let i = 0; i < rank; i++) {
      const bi = b[o * rank + i] as number;
      if (bi === 0) continue;
      for (let j = 0; j < rank; j++) gB[i * rank + j] = (gB[i * rank + j] as number) + bi * (b[o * rank + j] as number);
    }
  }
  let tr = 0;
  for (let i = 0; i < rank * rank; i++) tr += (gA[i] as number) * (gB[i] as number);
  return Math.sqrt(Math.max(tr, 0));
}

/** The previous nullAdapterSlots body (matched and init families). */
function previousNullSlots(slots: readonly LoraSlot[], seed: number, scale: NullScale): LoraSlot[] {
  const rng = new Rng(seed);
  if (scale === 'init') return slots.map((s) => ({ ...s, a: rng.fillNormal(new Float32Array(s.a.length), 0.02), b: rng.fillNormal(new Float32Array(s.b.length), 0.02) }));
  return slots.map((s) => {
    const a = rng.fillNormal(new Float32Array(s.a.length), 1);
    const b = rng.fillNormal(new Float32Array(s.b.length), 1);
    const drawn = previousUpdateNorm(a, b, s.rank);
    const target = previousUpdateNorm(s.a, s.b, s.rank);
    const half = drawn > 0 ? Math.sqrt(target / drawn) : 0;
    for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) * half;
    for (let i = 0; i < b.length; i++) b[i] = (b[i] as number) * half;
    return { ...s, a, b };
  });
}

function fresh(slots: readonly LoraSlot[]): LoraSlot[] {
  return slots.map((s) => ({ ...s, a: s.a.slice(), b: s.b.slice() }));
}

function timeDraws(draw: (seed: number) => LoraSlot[]): number {
  const t0 = performance.now();
  let sink = 0;
  for (let seed = 1; seed <= NULLS; seed++) sink += draw(seed).length;
  if (sink !== NULLS * LAYERS * SHAPES.length) throw new Error('unexpected slot count');
  return (performance.now() - t0) / NULLS;
}

const rounds = Number(process.argv[2] ?? 6);
const base = realSlots();
const values = base.reduce((n, s) => n + s.a.length + s.b.length, 0);
process.stdout.write(
  `null draws — SmolLM2-135M adapter shape, r=${RANK} on ${SHAPES.length} projections x ${LAYERS} layers (${(values / 1e6).toFixed(2)}M values per null), ${NULLS} nulls per round, ${rounds} rounds\n\n`,
);
for (const scale of ['matched', 'init'] as const) {
  const prev: number[] = [];
  const next: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['prev', 'next'] : ['next', 'prev'];
    for (const which of order) {
      const slots = fresh(base);
      if (which === 'prev') prev.push(timeDraws((seed) => previousNullSlots(slots, seed, scale)));
      else next.push(timeDraws((seed) => nullAdapterSlots(slots, seed, { scale })));
    }
  }
  const best = (xs: number[]) => Math.min(...xs);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const row = (label: string, p: number, q: number) => `  ${label.padEnd(12)} previous ${p.toFixed(1).padStart(7)}   now ${q.toFixed(1).padStart(6)}   ratio ${(p / q).toFixed(2)}x\n`;
  process.stdout.write(
    `${scale} family, ms per null draw:\n` +
      row('first round', prev[0] as number, next[0] as number) +
      row('best', best(prev), best(next)) +
      row('median', median(prev), median(next)),
  );
}

// The generators alone, on the same number of values.
const buf = new Float32Array(values);
const gen: Record<'fillNormal' | 'fillNormalF32', number[]> = { fillNormal: [], fillNormalF32: [] };
for (let r = 0; r < rounds; r++) {
  const rng = new Rng(r);
  let t0 = performance.now();
  rng.fillNormal(buf, 1);
  gen.fillNormal.push(performance.now() - t0);
  t0 = performance.now();
  rng.fillNormalF32(buf, 1);
  gen.fillNormalF32.push(performance.now() - t0);
}
const gb = Math.min(...gen.fillNormal);
const gz = Math.min(...gen.fillNormalF32);
process.stdout.write(
  `\ngenerator alone, ${(values / 1e6).toFixed(2)}M values: Box-Muller fillNormal ${gb.toFixed(1)} ms (${((gb * 1e6) / values).toFixed(1)} ns/value), ` +
    `ziggurat fillNormalF32 ${gz.toFixed(1)} ms (${((gz * 1e6) / values).toFixed(1)} ns/value), ratio ${(gb / gz).toFixed(2)}x\n`,
);
