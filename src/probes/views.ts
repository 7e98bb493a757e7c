/**
 * Running several views over the same prompts. When the backend has the batched
 * multi-view call it is used (one forward for all views); otherwise each view is opened
 * in turn and scored with its own batch call. Both paths return result[view][prompt].
 */
import type { DifferentialBackend, ScoringView, ViewSelector } from '../backends/contract.js';
import type { TokenDist } from '../core/results.js';
import { ProbeError } from '../core/errors.js';

export function withView<T>(
  backend: DifferentialBackend,
  sel: ViewSelector,
  fn: (view: ScoringView) => Promise<T>,
  probe = 'view',
): Promise<T> {
  switch (sel.kind) {
    case 'base':
      return backend.asBase(fn);
    case 'ft':
      return backend.asFinetuned(fn);
    case 'scaled':
      if (!backend.asScaledAdapter) throw new ProbeError(probe, 'backend has no scaled-adapter views');
      return backend.asScaledAdapter(sel.lambda, fn);
    case 'null':
      if (!backend.asNullAdapter) throw new ProbeError(probe, 'backend has no null-adapter views');
      return backend.asNullAdapter(sel.seed, { initScale: sel.initScale, rankScale: sel.rankScale }, fn);
  }
}

export async function distsForViews(
  backend: DifferentialBackend,
  views: readonly ViewSelector[],
  prompts: readonly string[],
  topK: number,
): Promise<TokenDist[][]> {
  if (prompts.length === 0) return views.map(() => []);
  if (backend.nextTokenDistViews) return backend.nextTokenDistViews(views, prompts, topK);
  const out: TokenDist[][] = [];
  for (const sel of views) out.push(await withView(backend, sel, (v) => v.nextTokenDistBatch(prompts, topK)));
  return out;
}

/** Base and fine-tuned next-token dists of the same prompts: [base[], ft[]]. */
export async function baseAndFtDists(
  backend: DifferentialBackend,
  prompts: readonly string[],
  topK: number,
): Promise<[TokenDist[], TokenDist[]]> {
  const [b, f] = await distsForViews(backend, [{ kind: 'base' }, { kind: 'ft' }], prompts, topK);
  return [b as TokenDist[], f as TokenDist[]];
}
