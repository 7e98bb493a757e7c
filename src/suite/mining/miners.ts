/**
 * Miners: find hard paraphrases for paraphrase_invariance cases, and the prompts on which
 * the adapter moves the distribution most and least (delta_kl outliers). The reference's
 * candidate generator (nlpaug WordNet) and embedder (MiniLM) are not available here:
 * candidates come from deterministic rewrites (templates and a synonym table) and
 * diversity uses the local hashed n-gram embedder; both are named in the output.
 */
import type { DifferentialBackend } from '../../backends/contract.js';
import { SwayError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { cosine, embed, LOCAL_EMBEDDER } from '../../probes/embedder.js';
import { perturb } from '../../probes/calibration/perturb.js';
import { buildProbe } from '../../probes/registry.js';
import type { RunContext } from '../../probes/types.js';

const TEMPLATES = [
  (s: string) => `Could you explain: ${s}?`,
  (s: string) => `I'd like to know — ${s}.`,
  (s: string) => `Please describe: ${s}.`,
  (s: string) => `Tell me: ${s}`,
  (s: string) => `Quick question: ${s}?`,
  (s: string) => `${s} — what do you say?`,
  (s: string) => `In short, ${s.charAt(0).toLowerCase()}${s.slice(1)}`,
  (s: string) => `Answer this: ${s}`,
];

/** Deterministic rewrites of a prompt: templates, synonym swaps and clause moves, shuffled by seed. */
export function candidateParaphrases(prompt: string, n: number, seed: number): string[] {
  const core = prompt.replace(/[?.\s]+$/, '');
  const pool = new Set<string>();
  for (const t of TEMPLATES) pool.add(t(core));
  for (const k of ['synonym_swap', 'clause_reverse', 'case_flip', 'drop_punct', 'prefix_inject'] as const) {
    const p = perturb(prompt, k);
    pool.add(p);
    for (const t of TEMPLATES.slice(0, 3)) pool.add(t(p.replace(/[?.\s]+$/, '')));
  }
  pool.delete(prompt);
  const list = [...pool].filter((x) => x.trim());
  const rng = new Rng(seed);
  for (let i = list.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [list[i], list[j]] = [list[j] as string, list[i] as string];
  }
  return list.slice(0, n);
}

/** Farthest-point selection: start far from the seed prompt, then maximise the minimum distance. */
export function diverse(seedPrompt: string, candidates: string[], k: number): string[] {
  if (candidates.length <= k) return candidates;
  const vecs = candidates.map(embed);
  const s = embed(seedPrompt);
  const chosen: number[] = [];
  let first = 0;
  vecs.forEach((v, i) => {
    if (1 - cosine(v, s) > 1 - cosine(vecs[first]!, s)) first = i;
  });
  chosen.push(first);
  while (chosen.length < k) {
    let best = -1;
    let bestD = -Infinity;
    vecs.forEach((v, i) => {
      if (chosen.includes(i)) return;
      const d = Math.min(...chosen.map((c) => 1 - cosine(v, vecs[c]!)));
      if (d > bestD) [best, bestD] = [i, d];
    });
    chosen.push(best);
  }
  return chosen.map((i) => candidates[i] as string);
}

export interface MinedParaphrase {
  prompt: string;
  gap: number;
  verbatim_lift: number;
  paraphrase_lift: number;
  diversity_rank: number;
}

export async function mineParaphrases(prompt: string, gold: string, backend: DifferentialBackend, o: { nCandidates?: number; topK?: number; seed?: number } = {}): Promise<MinedParaphrase[]> {
  const topK = o.topK ?? 10;
  const n = o.nCandidates ?? 50;
  if (topK <= 0 || n < topK) throw new SwayError(`need top_k > 0 and n_candidates >= top_k (got ${topK}, ${n})`, 'SWAY_INPUT', 2);
  const cands = diverse(prompt, candidateParaphrases(prompt, n, o.seed ?? 0), topK);
  if (!cands.length) return [];
  const t = Math.max(1, Math.floor([...gold].length / 4));
  const prompts = [prompt, ...cands];
  const lp = async (view: 'base' | 'ft') => {
    const run = (v: Parameters<Parameters<DifferentialBackend['asBase']>[0]>[0]) => Promise.all(prompts.map((p) => v.logprobOf(p, gold)));
    return (view === 'base' ? await backend.asBase(run) : await backend.asFinetuned(run)).map((x) => x / t);
  };
  const base = await lp('base');
  const ft = await lp('ft');
  const verbatim = (ft[0] as number) - (base[0] as number);
  return cands
    .map((p, i) => {
      const para = (ft[i + 1] as number) - (base[i + 1] as number);
      return { prompt: p, gap: verbatim - para, verbatim_lift: verbatim, paraphrase_lift: para, diversity_rank: i };
    })
    .sort((a, b) => b.gap - a.gap)
    .slice(0, topK);
}

export async function mineOutliers(candidates: readonly string[], backend: DifferentialBackend, o: { topK?: number; seed?: number } = {}) {
  const topK = o.topK ?? 10;
  if (topK <= 0) throw new SwayError(`top_k must be positive; got ${topK}`, 'SWAY_INPUT', 2);
  const scored: { prompt: string; raw: number; index: number }[] = [];
  const { probe, spec } = buildProbe({ name: 'outlier_probe_delta_kl', kind: 'delta_kl', prompts: ['x'] });
  for (const [index, prompt] of candidates.entries()) {
    const ctx: RunContext = { backend, seed: o.seed ?? 0, topK: 256, sections: null, docText: null, specDir: process.cwd(), nullStats: {}, nullStatsByRank: {}, downstreamKinds: [] };
    try {
      const r = await probe.run({ ...spec, prompts: [prompt] } as typeof spec, ctx);
      if (typeof r.raw === 'number') scored.push({ prompt, raw: r.raw, index });
    } catch {
      /* a prompt the backend cannot score is skipped */
    }
  }
  const distinct = new Set(scored.map((s) => s.prompt)).size;
  if (scored.length && distinct < 2 * topK) {
    throw new SwayError(`only ${distinct} distinct scored prompts, below the 2·top_k = ${2 * topK} needed for disjoint top and bottom lists. Pass --top-k ${Math.max(1, Math.floor(distinct / 2))}`, 'SWAY_INPUT', 2);
  }
  return {
    probe_kind: 'delta_kl',
    top: [...scored].sort((a, b) => b.raw - a.raw).slice(0, topK),
    bottom: [...scored].sort((a, b) => a.raw - b.raw).slice(0, topK),
  };
}

export { LOCAL_EMBEDDER };
