/**
 * node:test integration: `swayTests('sway.yaml', { threshold: 0.6 })` registers a
 * describe block with one test per probe plus `__gate__`, mapped the same way as the
 * vitest helper (WARN → diagnostic, SKIP → t.skip, FAIL/ERROR → failure without a stack).
 */
import { describe, it } from 'node:test';
import { executeSpecFile } from './default-executor.js';
import { DEFAULT_TIMEOUT_MS, SwayTestFailure, planSwayTests, type SwayTestsOptions } from './plan.js';

export type { SwayTestsOptions } from './plan.js';

export function swayTests(spec: string | URL, options: SwayTestsOptions = {}): void {
  const plan = planSwayTests(spec, options, executeSpecFile);
  void describe(`sway ${plan.title}`, () => {
    for (const testCase of plan.cases) {
      void it(testCase.name, { timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS }, async (t) => {
        const outcome = await testCase.run();
        if (outcome.status === 'skip') {
          t.skip(outcome.message);
          return;
        }
        if (outcome.status === 'fail') throw new SwayTestFailure(outcome.message);
        if (outcome.warning) t.diagnostic(outcome.warning);
      });
    }
  });
}
