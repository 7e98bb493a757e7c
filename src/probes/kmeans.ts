/** k-means (k-means++ seeding, Lloyd iterations, best of nInit restarts by inertia), seeded. */
import { Rng } from '../core/rng.js';

function dist2(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] as number) - (b[i] as number)) ** 2;
  return s;
}

function plusPlus(points: readonly Float64Array[], k: number, rng: Rng): Float64Array[] {
  const centers = [(points[rng.int(points.length)] as Float64Array).slice()];
  const d = points.map((p) => dist2(p, centers[0]!));
  while (centers.length < k) {
    const total = d.reduce((a, b) => a + b, 0);
    let idx = 0;
    if (total > 0) {
      let r = rng.next() * total;
      for (idx = 0; idx < d.length - 1; idx++) {
        r -= d[idx] as number;
        if (r < 0) break;
      }
    } else idx = rng.int(points.length);
    const c = (points[idx] as Float64Array).slice();
    centers.push(c);
    points.forEach((p, i) => (d[i] = Math.min(d[i] as number, dist2(p, c))));
  }
  return centers;
}

export interface KMeansResult {
  labels: number[];
  inertia: number;
}

function lloyd(points: readonly Float64Array[], centers: Float64Array[], maxIter: number): KMeansResult {
  const labels = new Array<number>(points.length).fill(0);
  let inertia = 0;
  for (let iter = 0; iter < maxIter; iter++) {
    let changed = false;
    inertia = 0;
    points.forEach((p, i) => {
      let best = 0;
      let bestD = Infinity;
      centers.forEach((c, j) => {
        const dd = dist2(p, c);
        if (dd < bestD) {
          bestD = dd;
          best = j;
        }
      });
      if (labels[i] !== best) changed = true;
      labels[i] = best;
      inertia += bestD;
    });
    if (!changed && iter > 0) break;
    centers.forEach((c, j) => {
      const members = points.filter((_, i) => labels[i] === j);
      if (members.length === 0) return;
      c.fill(0);
      for (const m of members) for (let t = 0; t < c.length; t++) c[t] = (c[t] as number) + (m[t] as number) / members.length;
    });
  }
  return { labels, inertia };
}

export function kmeans(points: readonly Float64Array[], k: number, seed: number, nInit = 10, maxIter = 300): KMeansResult {
  const rng = new Rng(seed);
  let best: KMeansResult | null = null;
  for (let r = 0; r < nInit; r++) {
    const res = lloyd(points, plusPlus(points, k, rng), maxIter);
    if (!best || res.inertia < best.inertia) best = res;
  }
  return best as KMeansResult;
}
