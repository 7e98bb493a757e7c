/**
 * Result and scoring value types shared by every layer. Field names of the JSON report
 * are snake_case (the reference's report.json shape); these TS types mirror that shape
 * directly so renderers and the JSON reader need no mapping layer.
 */

export const VERDICTS = ['pass', 'fail', 'warn', 'skip', 'error'] as const;
export type Verdict = (typeof VERDICTS)[number];

export type Evidence = Record<string, unknown>;

export interface ProbeResult {
  name: string;
  kind: string;
  verdict: Verdict;
  /** Normalised 0..1; null for SKIP/ERROR. */
  score: number | null;
  raw: number | null;
  z_score: number | null;
  base_value: number | null;
  ft_value: number | null;
  evidence: Evidence;
  message: string;
  duration_s: number;
  ci_95: [number, number] | null;
}

export type DeterminismClass = 'strict' | 'best_effort' | 'loose';

export interface DeterminismReport {
  class: DeterminismClass;
  seed: number;
  notes: string[];
}

export interface NullStat {
  mean: number;
  std: number;
  n: number;
  degenerate?: number;
  /** The per-seed raw values the stats were computed from (absent in reference reports). */
  values?: number[];
}

export interface SuiteResult {
  spec_path: string;
  started_at: Date;
  finished_at: Date;
  base_model_id: string;
  adapter_id: string;
  sway_version: string;
  probes: ProbeResult[];
  null_stats: Record<string, NullStat>;
  determinism: DeterminismReport | null;
  backend_stats: Record<string, number>;
  /** Non-fatal notes about the spec and the loaded model (ignored keys, unused adapter modules). */
  warnings?: string[];
}

export const CATEGORIES = ['adherence', 'attribution', 'calibration', 'ablation', 'baseline'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface SwayScore {
  overall: number;
  components: Partial<Record<Category, number>>;
  weights: Record<Category, number>;
  band: string;
  findings: string[];
}

/** Top-k next-token distribution (ids sorted by descending probability). */
export interface TokenDist {
  tokenIds: Int32Array;
  logprobs: Float64Array;
  vocabSize: number;
  /**
   * null: top-k covers the whole vocabulary; 0: a tail exists but its mass underflowed
   * (<= 1e-12); negative: ln(1 - sum(exp(top-k logprobs))).
   */
  tailLogprob: number | null;
}

export interface RollingLogprob {
  tokenIds: Int32Array;
  /** log p(tok_i | tok_<i) for i >= 1 (length numTokens - 1). */
  logprobs: Float64Array;
  numTokens: number;
  totalLogprob: number;
}
