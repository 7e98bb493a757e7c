/** The shared pipeline of `run` and `gate`: load, validate, execute with progress. */
import type { SuiteResult, SwayScore } from '../../core/results.js';
import { executeSpec, loadSpecFile, type LoadedSpec } from '../../suite/execute.js';
import { parseWeightsFlag } from '../../suite/score.js';
import { progressReporter } from './progress.js';

export interface PipelineOptions {
  weights?: string;
  quiet?: boolean;
}

export async function runPipeline(specPath: string, opts: PipelineOptions): Promise<{ spec: LoadedSpec; suite: SuiteResult; score: SwayScore }> {
  const weights = parseWeightsFlag(opts.weights);
  const spec = await loadSpecFile(specPath);
  const onProgress = progressReporter({ quiet: !!opts.quiet });
  const { suite, score } = await executeSpec(spec, { specPath, weights, ...(onProgress ? { onProgress } : {}) });
  return { spec, suite, score };
}
