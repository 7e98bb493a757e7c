/** The validated sway.yaml as the suite layer reads it (snake_case keys, as in YAML). */
export interface ModelSpecValue {
  kind: string;
  base: string;
  adapter: string | null;
  dtype: string;
  device: string;
  trust_remote_code?: boolean;
  entry_point?: string | null;
  endpoint?: string | null;
}

export interface SuiteDefaultsValue {
  seed: number;
  top_k: number;
  differential: boolean;
  coverage_threshold: number;
  score_weights: Record<string, number> | null;
  concurrent_probes?: number;
}

export interface SwaySpecValue {
  version: number;
  models: { base: ModelSpecValue; ft: ModelSpecValue };
  defaults: SuiteDefaultsValue;
  suite: Record<string, unknown>[];
  dlm_source: string | null;
}

/** A loaded spec plus where it came from (relative paths are already resolved against specDir). */
export interface LoadedSpec extends SwaySpecValue {
  /** Directory of the spec file (cwd for in-memory text). */
  readonly specDir: string;
  /** The path or source name the spec was loaded from. */
  readonly source: string;
}
