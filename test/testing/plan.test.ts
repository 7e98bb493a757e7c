import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeResult, SuiteResult, SwayScore, Verdict } from '../../src/core/results.js';
import { planSwayTests, type SwayExecutor } from '../../src/testing/plan.js';

let dir: string;
let specPath: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sway-testing-'));
  specPath = join(dir, 'sway.yaml');
  await writeFile(
    specPath,
    [
      'version: 1',
      'models: {base: {kind: dummy, base: b}, ft: {kind: dummy, base: b}}',
      'defaults: {coverage_threshold: 0.5}',
      'suite:',
      '  - {name: ok, kind: delta_kl}',
      '  - {name: meh, kind: delta_kl}',
      '  - {name: nothing, kind: leakage}',
      '  - {name: bad, kind: delta_kl}',
      '  - {name: broken, kind: adapter_ablation}',
      '  - {name: off, kind: delta_kl, enabled: false}',
      '  - {kind: style_fingerprint}',
    ].join('\n'),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function probe(name: string, kind: string, verdict: Verdict, message: string): ProbeResult {
  return { name, kind, verdict, message, score: null, raw: null, z_score: null, base_value: null, ft_value: null, evidence: {}, duration_s: 0, ci_95: null };
}

function fakeExecutor(overall: number) {
  const calls: { specPath: string; weights?: Record<string, number> }[] = [];
  const execute: SwayExecutor = async (path, options) => {
    calls.push({ specPath: path, ...options });
    const suite = {
      spec_path: path,
      probes: [
        probe('ok', 'delta_kl', 'pass', 'fine'),
        probe('meh', 'delta_kl', 'warn', 'borderline'),
        probe('nothing', 'leakage', 'skip', 'no PROSE sections to test for leakage'),
        probe('bad', 'delta_kl', 'fail', 'mean js=0.01, z=+0.3σ vs null'),
        probe('broken', 'adapter_ablation', 'error', 'backend does not implement ScalableDifferentialBackend'),
      ],
    } as unknown as SuiteResult;
    const score = { overall, band: 'weak', components: {}, weights: {}, findings: [] } as unknown as SwayScore;
    return { suite, score };
  };
  return { calls, execute };
}

describe('planSwayTests', () => {
  it('makes one case per suite entry plus a gate case, named by entry name or kind', () => {
    const plan = planSwayTests(specPath, {}, fakeExecutor(0.9).execute);
    expect(plan.cases.map((c) => c.name)).toEqual(['ok', 'meh', 'nothing', 'bad', 'broken', 'off', 'style_fingerprint', '__gate__']);
    expect(planSwayTests(specPath, { gate: false }, fakeExecutor(0.9).execute).cases).toHaveLength(7);
  });

  it('maps verdicts to outcomes and runs the suite once for all cases', async () => {
    const { calls, execute } = fakeExecutor(0.9);
    const plan = planSwayTests(pathToFileURL(specPath), { weights: { adherence: 1 } }, execute);
    const outcomes = await Promise.all(plan.cases.map((c) => c.run()));
    expect(outcomes).toEqual([
      { status: 'pass' },
      { status: 'pass', warning: 'sway WARN [delta_kl]: borderline' },
      { status: 'skip', message: 'no PROSE sections to test for leakage' },
      { status: 'fail', message: 'FAIL [delta_kl]: mean js=0.01, z=+0.3σ vs null' },
      { status: 'fail', message: 'ERROR [adapter_ablation]: backend does not implement ScalableDifferentialBackend' },
      { status: 'skip', message: "probe 'off' is disabled (enabled: false)" },
      { status: 'fail', message: "probe 'style_fingerprint' not in suite result — available: [ok, meh, nothing, bad, broken]" },
      { status: 'pass' },
    ]);
    expect(calls).toEqual([{ specPath, weights: { adherence: 1 } }]);
  });

  it('gates on the threshold option, else the spec coverage_threshold', async () => {
    const low = fakeExecutor(0.42).execute;
    const gate = (opts: { threshold?: number }) => planSwayTests(specPath, { ...opts, weights: { x: Math.random() } }, low).cases.at(-1)!.run();
    expect(await gate({})).toEqual({ status: 'fail', message: 'composite score 0.42 below threshold 0.50 (band: weak)' });
    expect(await gate({ threshold: 0.4 })).toEqual({ status: 'pass' });
  });

  it('resolves a relative spec next to relativeTo and reports an unreadable spec as one failing case', async () => {
    const plan = planSwayTests('sway.yaml', { relativeTo: pathToFileURL(join(dir, 'my.test.ts')).href }, fakeExecutor(1).execute);
    expect(plan.specPath).toBe(specPath);
    const missing = planSwayTests(join(dir, 'nope.yaml'), {}, fakeExecutor(1).execute);
    expect(missing.cases.map((c) => c.name)).toEqual(['load spec']);
    expect(await missing.cases[0]!.run()).toEqual({
      status: 'fail',
      message: expect.stringMatching(/^failed to load spec .*nope\.yaml: ENOENT/) as unknown as string,
    });
  });

  it('does not cache a failed run', async () => {
    let attempts = 0;
    const flaky: SwayExecutor = async (path, options) => {
      attempts += 1;
      if (attempts === 1) throw new Error('model load failed');
      return fakeExecutor(0.9).execute(path, options);
    };
    const plan = planSwayTests(specPath, { weights: { flaky: 1 } }, flaky);
    await expect(plan.cases[0]!.run()).rejects.toThrow('model load failed');
    expect(await plan.cases[0]!.run()).toEqual({ status: 'pass' });
    expect(attempts).toBe(2);
  });
});
