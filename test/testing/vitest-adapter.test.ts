import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runVitestRoot } from './run-vitest.js';

describe('swayTests for vitest', () => {
  it('maps each probe verdict to a vitest outcome and adds a gate test, running the suite once', () => {
    const { cases, exitCode, output } = runVitestRoot(join(repoRoot, 'test/testing/fixtures/vitest-fake'));
    expect(exitCode).toBe(1);
    expect(cases.map((c) => [c.title, c.status, c.failureMessages.join('\n')])).toEqual([
      ['ok', 'passed', ''],
      ['meh', 'passed', ''],
      ['nothing', 'skipped', ''],
      ['bad', 'failed', 'SwayTestFailure: FAIL [delta_kl]: mean js=0.0100'],
      ['broken', 'failed', 'SwayTestFailure: ERROR [adapter_ablation]: backend does not implement ScalableDifferentialBackend'],
      ['__gate__', 'failed', 'SwayTestFailure: composite score 0.42 below threshold 0.80 (band: weak)'],
    ]);
    expect(cases.every((c) => c.fullName.startsWith('sway sway.yaml '))).toBe(true);
    expect(output).toContain('sway WARN [delta_kl]: borderline');
    expect(output).not.toContain('the suite ran more than once');
  });
});
