/** Outlier miner: the prompts where delta_kl is largest and smallest. */
import type { DifferentialBackend } from '../../backends/contract.js';
import { SwayError } from '../../core/errors.js';
import { makeRunContext } from '../../probes/context.js';
import { buildProbe } from '../../probes/registry.js';
import { chunkCorpus, loadCorpus } from '../../probes/calibration-probes/external-corpus.js';

export interface Outlier {
  prompt: string;
  raw: number;
  index: number;
}

export interface OutlierResult {
  top: Outlier[];
  bottom: Outlier[];
}

export function corpusPrompts(name: string, chunkChars = 256, maxChunks = 64): string[] {
  return chunkCorpus(loadCorpus(name), chunkChars, maxChunks);
}

export async function mineOutliers(
  probeKind: string,
  candidates: readonly string[],
  backend: DifferentialBackend,
  opts: { topK?: number; seed?: number } = {},
): Promise<OutlierResult> {
  const topK = opts.topK ?? 10;
  if (topK <= 0) throw new RangeError(`top_k must be positive; got ${topK}`);
  const scored: Outlier[] = [];
  if (probeKind === 'delta_kl') {
    const ctx = makeRunContext({ backend, seed: opts.seed ?? 0 });
    for (let index = 0; index < candidates.length; index++) {
      const prompt = candidates[index]!;
      try {
        const { probe, spec } = buildProbe({ kind: 'delta_kl', name: 'outlier_probe_delta_kl', prompts: [prompt] });
        const r = await probe.run(spec, ctx);
        if (typeof r.raw === 'number') scored.push({ prompt, raw: r.raw, index });
      } catch {
        // an unscorable candidate is skipped, as in the reference
      }
    }
  }
  const distinct = new Set(scored.map((s) => s.prompt)).size;
  if (scored.length > 0 && distinct < 2 * topK) {
    throw new SwayError(
      `only ${distinct} distinct prompts scored, below the 2·top_k (${2 * topK}) needed for disjoint top and bottom lists. Pass --top-k ${Math.max(1, Math.floor(distinct / 2))}`,
      'SWAY_USAGE',
      2,
    );
  }
  return {
    top: [...scored].sort((a, b) => b.raw - a.raw).slice(0, topK),
    bottom: [...scored].sort((a, b) => a.raw - b.raw).slice(0, topK),
  };
}
