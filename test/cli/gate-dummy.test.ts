/** `sway gate` end to end on dummy-backend specs (kind: dummy), run in-process. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { fromJson } from '../../src/report/json.js';

const fx = (n: string): string => join(import.meta.dirname, 'fixtures', n);
const out = mkdtempSync(join(tmpdir(), 'sway-gate-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

let stdout = '';
let stderr = '';
beforeEach(() => {
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  process.env['NO_COLOR'] = '1';
});
afterEach(() => vi.restoreAllMocks());

describe('sway gate on dummy-backend specs', () => {
  it('exits 0 when the adapter clears the bar (null-calibrated delta_kl)', async () => {
    const json = join(out, 'pass.json');
    expect(await main(['gate', fx('gate-pass.yaml'), '--quiet', '--json', json])).toBe(0);
    expect(stdout).toMatch(/gate passed \u2014 overall=\d\.\d\d/);
    const { suite } = fromJson(readFileSync(json, 'utf8'));
    expect(suite.probes.map((p) => [p.name, p.verdict])).toEqual([['null_baseline', 'pass'], ['dk', 'pass']]);
    expect(suite.null_stats['delta_kl']?.n).toBe(3);
    expect(suite.probes[1]?.z_score).toBeGreaterThan(3);
  });
  it('exits 1 on a FAIL probe', async () => {
    expect(await main(['gate', fx('gate-fail.yaml'), '--quiet', '--threshold', '0'])).toBe(1);
    expect(stdout).toContain('gate FAILED \u2014 at least one probe reported FAIL');
  });
  it('exits 1 when the threshold is not met', async () => {
    expect(await main(['gate', fx('gate-fail.yaml'), '--quiet'])).toBe(1);
    expect(stdout).toMatch(/gate FAILED \u2014 overall=0\.\d\d < 0\.60/);
  });
  it('exits 1 on an ERROR probe even when everything else passes', async () => {
    const junit = join(out, 'err.xml');
    expect(await main(['gate', fx('gate-error.yaml'), '--quiet', '--threshold', '0', '--junit', junit])).toBe(1);
    expect(stdout).toContain('gate FAILED \u2014 1 probe(s) reported ERROR: empty');
    expect(readFileSync(junit, 'utf8')).toContain('<error message="no prompts provided');
  });
  it('exits 2 on a bad spec, listing every bad entry before any backend is built', async () => {
    expect(await main(['gate', fx('gate-bad.yaml'), '--quiet'])).toBe(2);
    expect(stderr).toMatch(/^sway: error: .*gate-bad\.yaml: spec contains invalid probe entries:/);
    expect(stderr).toContain('  - dk: ');
    expect(stderr).toContain("  - other: unknown probe kind 'no_such_probe'");
    expect(stdout).toBe('');
  });
  it('run --dry-run lists the probes without a model; run never changes the exit code', async () => {
    expect(await main(['run', fx('gate-pass.yaml'), '--dry-run'])).toBe(0);
    expect(stdout).toContain('dry-run for');
    expect(stdout).toMatch(/2\s+dk\s+delta_kl\s+adherence\s+yes/);
    stdout = '';
    expect(await main(['run', fx('gate-fail.yaml'), '--quiet'])).toBe(0);
    expect(stdout).toContain('sway report');
  });
});
