/**
 * Spawns the built CLI (dist/, built by `npm test`) on a sample of malformed specs and
 * bad arguments: exit 2, one `sway: error:` line, no stack trace.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { schemaLevelCases, yamlLevelCases } from '../suite/malformed-specs.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'sway.js');
const built = existsSync(join(root, 'dist', 'src', 'cli', 'main.js'));
if (!built) console.log('cli-exit.test: skipped — dist/ not built (npm test builds it first)');
const dir = mkdtempSync(join(tmpdir(), 'sway-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sway(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: '1' }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectCleanExit2(r: ReturnType<typeof sway>): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(/^sway: error: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toContain('internal error');
}

describe.skipIf(!built)('CLI exit codes on bad input', () => {
  const sample = [...yamlLevelCases().filter((_, i) => i % 40 === 0), ...schemaLevelCases().filter((_, i) => i % 30 === 0)];
  for (const [i, c] of sample.entries()) {
    it(`run: ${c.label}`, () => {
      const p = join(dir, `s${i}.yaml`);
      writeFileSync(p, c.text);
      expectCleanExit2(sway(['run', p, '--quiet']));
    });
  }
  it('gate and run --dry-run on a missing file', () => {
    expectCleanExit2(sway(['gate', join(dir, 'missing.yaml')]));
    expectCleanExit2(sway(['run', '--dry-run', join(dir, 'missing.yaml')]));
  });
  it('bad flags', () => {
    const ok = join(dir, 'ok.yaml');
    writeFileSync(ok, 'version: 1\nmodels:\n  base: {kind: dummy, base: t}\n  ft: {kind: dummy, base: t}\n');
    expectCleanExit2(sway(['run', ok, '--weights', 'adherence']));
    expectCleanExit2(sway(['gate', ok, '--threshold', '2']));
    expectCleanExit2(sway(['report', join(dir, 'nope.json')]));
    expect(sway(['run']).code).toBe(2);
    expect(sway(['report', ok, '--format', 'pdf']).code).toBe(2);
  });
  it('report on a file that is not a report', () => {
    const p = join(dir, 'not-report.json');
    writeFileSync(p, '{"probes": [{"name": 1}]}');
    expectCleanExit2(sway(['report', p]));
    writeFileSync(p, 'not json');
    expectCleanExit2(sway(['report', p]));
  });
  it('report re-renders the golden JSON to Markdown byte for byte', () => {
    const r = sway(['report', join(root, 'test/report/__golden__/report.json'), '--format', 'md']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(root, 'test/report/__golden__/report.md'), 'utf8'));
  });
});
