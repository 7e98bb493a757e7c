// The node:test helper runs under plain Node, so this drives the built copy
// (dist/, produced by `npm run build`, which `npm test` runs first).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './run-vitest.js';

const built = existsSync(join(repoRoot, 'dist/src/testing/node-test.js'));
if (!built) process.stderr.write('node-test-adapter.test: dist/ not built (run `npm run build`); skipping\n');

/** Top-level TAP results of the one describe block: [title, ok, directive or error]. */
function parseTap(tap: string): [string, boolean, string][] {
  const out: [string, boolean, string][] = [];
  const lines = tap.split('\n');
  lines.forEach((line, i) => {
    const m = /^ {4}(not ok|ok) \d+ - (\S+)(?: # SKIP (.*))?$/.exec(line);
    if (!m) return;
    let detail = m[3] ? `SKIP ${m[3]}` : '';
    if (m[1] === 'not ok') {
      const err = lines.slice(i + 1, i + 12).find((l) => /^ {6}error: /.test(l));
      detail = err ? err.replace(/^ {6}error: '(.*)'$/, '$1') : '?';
    }
    out.push([m[2]!, m[1] === 'ok', detail]);
  });
  return out;
}

describe.skipIf(!built)('swayTests for node:test', () => {
  it('maps each probe verdict to a node:test outcome and adds a gate test', () => {
    const child = spawnSync(process.execPath, ['--test', '--test-reporter=tap', 'test/testing/fixtures/node-test-fake/fake.test.mjs'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.status).toBe(1);
    expect(parseTap(child.stdout)).toEqual([
      ['ok', true, ''],
      ['meh', true, ''],
      ['nothing', true, 'SKIP no PROSE sections to test for leakage'],
      ['bad', false, 'FAIL [delta_kl]: mean js=0.0100'],
      ['broken', false, 'ERROR [adapter_ablation]: backend does not implement ScalableDifferentialBackend'],
      ['__gate__', false, 'composite score 0.42 below threshold 0.80 (band: weak)'],
    ]);
    expect(child.stdout).toContain('# sway WARN [delta_kl]: borderline');
    expect(child.stdout).toMatch(/^# tests 6$/m);
  });
});
