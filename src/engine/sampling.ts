/** Next-token choice for generation: greedy argmax, or seeded temperature + top-p sampling. */
import type { Rng } from '../core/rng.js';

export function argmax(lp: Float64Array): number {
  let best = 0;
  for (let i = 1; i < lp.length; i++) if ((lp[i] as number) > (lp[best] as number)) best = i;
  return best;
}

export function sample(lp: Float64Array, temperature: number, topP: number, rng: Rng): number {
  const scaled = Array.from(lp, (v, i) => ({ i, w: v / temperature }));
  const max = Math.max(...scaled.map((s) => s.w));
  let z = 0;
  for (const s of scaled) z += (s.w = Math.exp(s.w - max));
  scaled.sort((a, b) => b.w - a.w || a.i - b.i);
  let cum = 0;
  const kept: typeof scaled = [];
  for (const s of scaled) {
    kept.push(s);
    cum += s.w / z;
    if (cum >= topP) break;
  }
  const mass = kept.reduce((a, s) => a + s.w, 0);
  let u = rng.next() * mass;
  for (const s of kept) {
    u -= s.w;
    if (u <= 0) return s.i;
  }
  return (kept[kept.length - 1] as { i: number }).i;
}

/** Picks the next token from a log-distribution. */
export function chooseToken(lp: Float64Array, temperature: number, topP: number, rng: Rng): number {
  return temperature > 0 ? sample(lp, temperature, topP, rng) : argmax(lp);
}
