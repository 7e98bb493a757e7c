/**
 * The in-process watch runner: load and execute the spec like `sway run --json` and
 * hand the report object to the watcher. Each run loads the model afresh; use
 * `--serve-url` to keep it warm in a daemon instead.
 */
import { parseReportJson } from '../client.js';
import { suitePort } from '../suite-port.js';
import type { WatchRunner } from './watcher.js';

/** `onWarning` sees each run's warnings (they are in the report's `warnings` too). */
export function localWatchRunner(onWarning?: (message: string) => void): WatchRunner {
  return async (specPath) => {
    const port = await suitePort();
    const spec = await port.loadSpecFile(specPath);
    const { suite, score } = await port.executeSpec(spec, onWarning ? { specPath, onWarning } : { specPath });
    return parseReportJson(port.reportJson(suite, score)) as Record<string, unknown>;
  };
}
