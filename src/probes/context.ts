/** RunContext construction and the null-stats lookups every calibrated probe uses. */
import type { DifferentialBackend } from '../backends/contract.js';
import type { NullStat } from '../core/results.js';
import type { Section } from '../core/sections.js';
import { ProbeError } from '../core/errors.js';
import type { NullStatsByRank, NullStatsMap, RunContext } from './types.js';

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}

export interface RunContextInit {
  backend: DifferentialBackend | null;
  seed?: number;
  topK?: number;
  sections?: readonly Section[] | null;
  docText?: string | null;
  specDir?: string;
  nullStats?: Record<string, NullStat>;
  nullStatsByRank?: Record<string, Record<string, NullStat>>;
  downstreamKinds?: readonly string[];
}

/** A frozen context; the stats maps are deep-frozen copies, so writes throw in strict mode. */
export function makeRunContext(init: RunContextInit): RunContext {
  return Object.freeze({
    backend: init.backend,
    seed: init.seed ?? 0,
    topK: init.topK ?? 256,
    sections: init.sections ?? null,
    docText: init.docText ?? null,
    specDir: init.specDir ?? process.cwd(),
    nullStats: deepFreeze(structuredClone(init.nullStats ?? {})) as NullStatsMap,
    nullStatsByRank: deepFreeze(structuredClone(init.nullStatsByRank ?? {})) as NullStatsByRank,
    downstreamKinds: Object.freeze([...(init.downstreamKinds ?? [])]),
  });
}

export function requireBackend(ctx: RunContext, probe: string): DifferentialBackend {
  if (!ctx.backend) throw new ProbeError(probe, 'this probe needs a model backend but the run has none');
  return ctx.backend;
}

export function getNullStats(ctx: RunContext, kind: string): Readonly<NullStat> | null {
  return ctx.nullStats[kind] ?? null;
}

/** `{rank_key: stats}` for every rank holding this kind; null when none does. */
export function getNullStatsByRank(ctx: RunContext, kind: string): Record<string, Readonly<NullStat>> | null {
  const out: Record<string, Readonly<NullStat>> = {};
  let any = false;
  for (const [rank, byKind] of Object.entries(ctx.nullStatsByRank)) {
    const s = byKind[kind];
    if (s) {
      out[rank] = s;
      any = true;
    }
  }
  return any ? out : null;
}
