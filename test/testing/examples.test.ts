// The shipped examples, run as a user would: one test per probe of the example spec plus
// `__gate__`, on the dummy backend (offline, about a second).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot, runVitestRoot } from './run-vitest.js';

const probeNames = (parse(readFileSync(join(repoRoot, 'examples/vitest/sway.yaml'), 'utf8')) as { suite: { name: string }[] }).suite.map((e) => e.name);

describe('examples/vitest', () => {
  it('reports one test per probe and a gate test', () => {
    const { cases, exitCode, output } = runVitestRoot(join(repoRoot, 'examples/vitest/vitest.config.js'), '--config');
    expect(exitCode, output).toBe(0);
    expect(probeNames).toEqual(['noise_floor', 'capital_shift', 'lambda_sweep']);
    expect(cases.map((c) => [c.title, c.status])).toEqual([
      ['noise_floor', 'passed'],
      ['capital_shift', 'passed'],
      ['lambda_sweep', 'skipped'],
      ['__gate__', 'passed'],
    ]);
  });
});

const built = existsSync(join(repoRoot, 'dist/src/testing/node-test.js')) && existsSync(join(repoRoot, 'dist/src/suite/execute.js'));
if (!built) process.stderr.write('examples.test: dist/ not built (run `npm run build`); skipping the node:test example\n');

describe.skipIf(!built)('examples/node-test', () => {
  it('reports one test per probe and a gate test under node --test', () => {
    const child = spawnSync(process.execPath, ['--test', '--test-reporter=tap', 'examples/node-test/sway.test.mjs'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.status, child.stdout + child.stderr).toBe(0);
    const results = [...child.stdout.matchAll(/^ {4}(ok|not ok) \d+ - (\S+)( # SKIP)?/gm)].map((m) => [m[2], m[3] ? 'skipped' : m[1]]);
    expect(results).toEqual([
      ['noise_floor', 'ok'],
      ['capital_shift', 'ok'],
      ['lambda_sweep', 'skipped'],
      ['__gate__', 'ok'],
    ]);
  });
});
