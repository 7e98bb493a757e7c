/** Spec fields and helpers every probe shares. */
import { z } from 'zod';
import type { DifferentialBackend, ScoringView, ViewSelector } from '../backends/contract.js';
import { ProbeError } from '../core/errors.js';
import type { NullStat, TokenDist } from '../core/results.js';
import type { RunContext } from './types.js';

export const baseFields = {
  name: z.string().min(1),
  enabled: z.boolean().default(true),
  weight: z.number().default(1.0),
};

export const SENTINEL_PROMPTS = ['The capital of', 'Once upon a time', 'An interesting fact is', 'The next step is to'] as const;

export function requireBackend(ctx: RunContext, probe: string): DifferentialBackend {
  if (!ctx.backend) throw new ProbeError(probe, 'this probe needs a model backend, but none was loaded');
  return ctx.backend;
}

export function nullStatsFor(ctx: RunContext, kind: string): NullStat | null {
  return (ctx.nullStats[kind] as NullStat | undefined) ?? null;
}

export function nullStatsByRankFor(ctx: RunContext, kind: string): Record<string, NullStat> | null {
  const out: Record<string, NullStat> = {};
  for (const [rank, kinds] of Object.entries(ctx.nullStatsByRank)) {
    const s = kinds[kind];
    if (s) out[rank] = s as NullStat;
  }
  return Object.keys(out).length ? out : null;
}

function runView<T>(backend: DifferentialBackend, v: ViewSelector, fn: Parameters<DifferentialBackend['asBase']>[0]): Promise<T> {
  switch (v.kind) {
    case 'base':
      return backend.asBase(fn) as Promise<T>;
    case 'ft':
      return backend.asFinetuned(fn) as Promise<T>;
    case 'scaled':
      if (!backend.asScaledAdapter) throw new ProbeError('views', 'backend cannot scale the adapter');
      return backend.asScaledAdapter(v.lambda, fn) as Promise<T>;
    case 'null':
      if (!backend.asNullAdapter) throw new ProbeError('views', 'backend has no null adapters');
      return backend.asNullAdapter(v.seed, { ...(v.scale !== undefined ? { scale: v.scale } : {}), ...(v.initScale !== undefined ? { initScale: v.initScale } : {}), ...(v.rankScale !== undefined ? { rankScale: v.rankScale } : {}) }, fn) as Promise<T>;
  }
}

/**
 * Next-token distributions for several views of the same prompts: one batched forward when
 * the backend offers it, otherwise one batch call per view. Results are identical.
 */
export async function distsForViews(backend: DifferentialBackend, views: readonly ViewSelector[], prompts: readonly string[], topK: number): Promise<TokenDist[][]> {
  if (backend.nextTokenDistViews) return backend.nextTokenDistViews(views, prompts, topK);
  const out: TokenDist[][] = [];
  for (const v of views) out.push(await runView<TokenDist[]>(backend, v, (view) => view.nextTokenDistBatch(prompts, topK)));
  return out;
}

/**
 * Completion logprobs under the base and fine-tuned views for the same pairs: one batched
 * forward when the backend offers it, otherwise one pass per view. Results are identical.
 */
export async function logprobsBaseFt(backend: DifferentialBackend, pairs: readonly { prompt: string; completion: string }[]): Promise<[number[], number[]]> {
  if (backend.logprobOfViews) return (await backend.logprobOfViews([{ kind: 'base' }, { kind: 'ft' }], pairs)) as [number[], number[]];
  const all = (view: ScoringView) => Promise.all(pairs.map((p) => view.logprobOf(p.prompt, p.completion)));
  return [await backend.asBase(all), await backend.asFinetuned(all)];
}

/** `+1.234` / `-0.500`: a number with its sign, as probe messages print it. */
export function signed(x: number, digits = 3): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
}

/** Python-style float text for thresholds in messages (`0.02`, `1.0`). */
export function pyFloat(x: number): string {
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}
