/** The default runner of the test helpers: load the spec file and execute it like `sway run`. */
import { suitePort } from '../serve/suite-port.js';
import type { SwayExecutor } from './plan.js';

export const executeSpecFile: SwayExecutor = async (specPath, options) => {
  const port = await suitePort();
  const spec = await port.loadSpecFile(specPath);
  return port.executeSpec(spec, options.weights ? { specPath, weights: options.weights } : { specPath });
};
