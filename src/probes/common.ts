/** Spec fields and helpers every probe shares. */
import { z } from 'zod';
import type { DifferentialBackend, GenerateOptions, ViewSelector } from '../backends/contract.js';
import { ProbeError } from '../core/errors.js';
import type { NullStat, RollingLogprob, TokenDist } from '../core/results.js';
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
export async function logprobsBaseFt(backend: DifferentialBackend, pairs: readonly { prompt: string; completion: string }[], onPair?: (done: number) => void): Promise<[number[], number[]]> {
  return (await logprobsForViews(backend, [{ kind: 'base' }, { kind: 'ft' }], pairs, onPair)) as [number[], number[]];
}

/**
 * Completion logprobs of the same pairs under several views: result[v][p]. Batched when the
 * backend offers it, otherwise one pass per view; the results are identical. `onPair` hears
 * how many pairs have every view scored (only at the end on the per-view path).
 */
export async function logprobsForViews(backend: DifferentialBackend, views: readonly ViewSelector[], pairs: readonly { prompt: string; completion: string }[], onPair?: (done: number) => void): Promise<number[][]> {
  let out: number[][];
  if (backend.logprobOfViews) out = await backend.logprobOfViews(views, pairs, onPair);
  else {
    out = [];
    for (const v of views) out.push(await runView<number[]>(backend, v, (view) => Promise.all(pairs.map((p) => view.logprobOf(p.prompt, p.completion)))));
  }
  if (pairs.length) onPair?.(pairs.length);
  return out;
}

/**
 * Rolling logprobs of the same texts under several views: result[v][t]. Batched when the
 * backend offers it, otherwise one text at a time per view; the results are identical.
 */
export async function rollingForViews(backend: DifferentialBackend, views: readonly ViewSelector[], texts: readonly string[], onText?: (done: number) => void): Promise<RollingLogprob[][]> {
  let out: RollingLogprob[][];
  if (backend.rollingLogprobViews) out = await backend.rollingLogprobViews(views, texts, onText);
  else {
    out = [];
    for (const v of views) {
      out.push(
        await runView<RollingLogprob[]>(backend, v, async (view) => {
          const r: RollingLogprob[] = [];
          for (const t of texts) r.push(await view.rollingLogprob(t));
          return r;
        }),
      );
    }
  }
  if (texts.length) onText?.(texts.length);
  return out;
}

/**
 * One prompt generated under several views: result[v]. One lockstep batched decode when
 * the backend offers it, otherwise one generation per view; the texts are identical.
 */
export async function generateForViews(backend: DifferentialBackend, views: readonly ViewSelector[], prompt: string, options: GenerateOptions): Promise<string[]> {
  if (backend.generateViews) return backend.generateViews(views, prompt, options);
  const out: string[] = [];
  for (const v of views) out.push(await runView<string>(backend, v, (view) => view.generate(prompt, options)));
  return out;
}

/** `+1.234` / `-0.500`: a number with its sign, as probe messages print it. */
export function signed(x: number, digits = 3): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
}

/** Python-style float text for thresholds in messages (`0.02`, `1.0`). */
export function pyFloat(x: number): string {
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}
