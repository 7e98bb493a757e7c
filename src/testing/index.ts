/** Runner-neutral pieces of the test integrations; import `dlm-sway/testing/vitest` or `/node-test` for the helpers. */
export { planSwayTests, probeOutcome, gateOutcome, SwayTestFailure, DEFAULT_TIMEOUT_MS } from './plan.js';
export type { SwayTestsOptions, SwayTestPlan, SwayTestCase, SwayOutcome, SwayExecutor, SwayRun } from './plan.js';
export { executeSpecFile } from './default-executor.js';
