/**
 * vitest integration: `swayTests('sway.yaml', { threshold: 0.6 })` inside a test file
 * registers a describe block with one test per probe plus `__gate__`. PASS passes, WARN
 * passes with a warning, SKIP skips with the probe's message, FAIL/ERROR fail with the
 * verdict line (no stack trace).
 */
import { describe, it } from 'vitest';
import { executeSpecFile } from './default-executor.js';
import { DEFAULT_TIMEOUT_MS, SwayTestFailure, planSwayTests, type SwayTestsOptions } from './plan.js';

export type { SwayTestsOptions } from './plan.js';

export function swayTests(spec: string | URL, options: SwayTestsOptions = {}): void {
  const plan = planSwayTests(spec, options, executeSpecFile);
  describe(`sway ${plan.title}`, () => {
    for (const testCase of plan.cases) {
      it(
        testCase.name,
        async (ctx) => {
          const outcome = await testCase.run();
          if (outcome.status === 'skip') {
            ctx.skip(outcome.message);
            return;
          }
          if (outcome.status === 'fail') throw new SwayTestFailure(outcome.message);
          if (outcome.warning) {
            process.stderr.write(`${outcome.warning}\n`);
            await ctx.annotate(outcome.warning, 'warning');
          }
        },
        options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      );
    }
  });
}
