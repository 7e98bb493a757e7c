/** Seeded k-means (k-means++ initialisation, best of n_init restarts by inertia). */
import { Rng } from '../core/rng.js';

function dist2(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] as number) - (b[i] as number)) ** 2;
  return s;
}

function once(points: Float64Array[], k: number, rng: Rng, maxIter = 100): { labels: number[]; inertia: number } {
  const dim = points[0]!.length;
  const centers: Float64Array[] = [Float64Array.from(points[rng.int(points.length)]!)];
  while (centers.length < k) {
    const d = points.map((p) => Math.min(...centers.map((c) => dist2(p, c))));
    const total = d.reduce((a, b) => a + b, 0);
    let u = rng.next() * total;
    let idx = 0;
    for (; idx < d.length - 1; idx++) {
      u -= d[idx] as number;
      if (u <= 0) break;
    }
    centers.push(Float64Array.from(points[idx]!));
  }
  let labels = points.map(() => 0);
  for (let iter = 0; iter < maxIter; iter++) {
    const next = points.map((p) => {
      let best = 0;
      for (let c = 1; c < k; c++) if (dist2(p, centers[c]!) < dist2(p, centers[best]!)) best = c;
      return best;
    });
    const changed = next.some((l, i) => l !== labels[i]);
    labels = next;
    for (let c = 0; c < k; c++) {
      const members = points.filter((_, i) => labels[i] === c);
      if (!members.length) continue;
      const m = new Float64Array(dim);
      for (const p of members) for (let i = 0; i < dim; i++) m[i] = (m[i] as number) + (p[i] as number) / members.length;
      centers[c] = m;
    }
    if (!changed && iter > 0) break;
  }
  const inertia = points.reduce((a, p, i) => a + dist2(p, centers[labels[i]!]!), 0);
  return { labels, inertia };
}

export function kmeans(points: Float64Array[], k: number, seed: number, nInit = 10): number[] {
  const rng = new Rng(seed);
  let best: { labels: number[]; inertia: number } | null = null;
  for (let i = 0; i < nInit; i++) {
    const r = once(points, k, rng);
    if (!best || r.inertia < best.inertia) best = r;
  }
  return best!.labels;
}
