/** Paraphrase miner: diverse rewrites of a prompt ranked by how much of the adapter's lift they lose. */
import type { DifferentialBackend } from '../../backends/contract.js';
import { cosine, embedAll } from '../../probes/embedder.js';
import { generateCandidates } from './paraphrase-candidates.js';

export interface MinedParaphrase {
  prompt: string;
  gap: number;
  verbatim_lift: number;
  paraphrase_lift: number;
  diversity_rank: number;
}

export interface MineParaphraseOptions {
  nCandidates?: number;
  topK?: number;
  seed?: number;
  /** Candidate generator (default: the seeded frame + synonym generator). */
  generate?: (prompt: string, n: number, seed: number) => string[];
}

/** Farthest-first selection in embedding space, starting from the candidate farthest from the seed. */
export function diversify(seed: string, candidates: readonly string[], k: number): string[] {
  if (candidates.length <= k) return [...candidates];
  const [s, ...vs] = embedAll([seed, ...candidates]);
  const dist = (a: Float64Array, b: Float64Array): number => 1 - cosine(a, b);
  const chosen: number[] = [];
  let first = 0;
  vs.forEach((v, i) => {
    if (dist(v, s!) > dist(vs[first]!, s!)) first = i;
  });
  chosen.push(first);
  while (chosen.length < k) {
    let best = -1;
    let bestD = -Infinity;
    vs.forEach((v, i) => {
      if (chosen.includes(i)) return;
      const d = Math.min(...chosen.map((c) => dist(v, vs[c]!)));
      if (d > bestD) {
        bestD = d;
        best = i;
      }
    });
    chosen.push(best);
  }
  return chosen.map((i) => candidates[i]!);
}

export async function mineParaphrases(
  prompt: string,
  gold: string,
  backend: DifferentialBackend,
  opts: MineParaphraseOptions = {},
): Promise<MinedParaphrase[]> {
  const topK = opts.topK ?? 10;
  const n = opts.nCandidates ?? 50;
  if (topK <= 0) throw new RangeError(`top_k must be positive; got ${topK}`);
  if (n < topK) throw new RangeError(`n_candidates (${n}) must be >= top_k (${topK})`);
  const raw = (opts.generate ?? generateCandidates)(prompt, n, opts.seed ?? 0);
  const unique = [...new Set(raw.filter((c) => c.trim() !== '' && c !== prompt))];
  if (unique.length === 0) return [];
  const kept = diversify(prompt, unique, Math.min(topK, unique.length));
  const t = Math.max(1, Math.floor(Array.from(gold).length / 4));
  const lift = async (p: string): Promise<number> =>
    (await backend.asFinetuned((v) => v.logprobOf(p, gold))) / t - (await backend.asBase((v) => v.logprobOf(p, gold))) / t;
  const verbatim = await lift(prompt);
  const out: MinedParaphrase[] = [];
  for (let i = 0; i < kept.length; i++) {
    const pl = await lift(kept[i]!);
    out.push({ prompt: kept[i]!, gap: verbatim - pl, verbatim_lift: verbatim, paraphrase_lift: pl, diversity_rank: i });
  }
  return out.sort((a, b) => b.gap - a.gap).slice(0, topK);
}
