/**
 * What a probe is and what it sees. Probes are stateless: `run(spec, ctx)` gets its
 * validated spec and a read-only RunContext, talks to the model only through the
 * backend contract, and returns one ProbeResult. Probes never import the engine.
 */
import type { z } from 'zod';
import type { DifferentialBackend } from '../backends/contract.js';
import type { Category, NullStat, ProbeResult } from '../core/results.js';
import type { Section } from '../core/sections.js';

/** kind -> stats (the 1.0x rank null distribution). */
export type NullStatsMap = Readonly<Record<string, Readonly<NullStat>>>;
/** rank key (`rank_1.00`) -> kind -> stats. */
export type NullStatsByRank = Readonly<Record<string, NullStatsMap>>;

export interface RunContext {
  /** null only for pre-run probes (needsBackend false). */
  readonly backend: DifferentialBackend | null;
  readonly seed: number;
  readonly topK: number;
  readonly sections: readonly Section[] | null;
  readonly docText: string | null;
  /** Directory of the spec file; relative paths in probe specs resolve against it. */
  readonly specDir: string;
  readonly nullStats: NullStatsMap;
  readonly nullStatsByRank: NullStatsByRank;
  /** Kinds of every suite entry after the current one. */
  readonly downstreamKinds: readonly string[];
  /**
   * The raw suite entries after the current one. null_adapter calibrates a kind with the
   * first such entry's own spec (same prompts), so the null is measured like for like.
   */
  readonly downstreamEntries?: readonly Record<string, unknown>[];
  /**
   * Reports something the user should know that does not change the verdict (e.g. an
   * unreadable cache file). It reaches stderr, the JSON report's `warnings` and serve.
   */
  readonly warn?: (message: string) => void;
  /**
   * Reports progress inside a long probe: `done` of `total` items (`unit`: chunks, items,
   * runs, prompts). Only the CLI's terminal status line shows it; it never changes a result.
   */
  readonly progress?: (done: number, total: number, unit: string) => void;
}

/** Fields every probe spec has (snake_case as in sway.yaml). */
export interface BaseProbeSpec {
  name: string;
  kind: string;
  enabled: boolean;
  weight: number;
}

export interface ProbeDefinition<S extends BaseProbeSpec = BaseProbeSpec> {
  readonly kind: string;
  readonly category: Category;
  /** zod schema of the spec; strict (unknown keys rejected). */
  readonly schema: z.ZodType<S>;
  /** false only for pre-run probes that never touch a model. */
  readonly needsBackend: boolean;
  /** One-line description for `sway list-probes`. */
  readonly summary: string;
  run(spec: S, ctx: RunContext): Promise<ProbeResult>;
  /** A small, cheap spec that null_adapter runs under null views to calibrate this kind; null to opt out. */
  calibrateSpec?(ctx: RunContext): S | null;
}
