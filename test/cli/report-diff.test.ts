import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { toJson } from '../../src/report/json.js';
import { snapshotScore, snapshotSuite } from '../report/fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'sway-rep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let stdout = '';
beforeEach(() => {
  stdout = '';
  process.env['NO_COLOR'] = '1';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

function writeRun(name: string, dkScore: number, overall: number): string {
  const suite = snapshotSuite();
  suite.probes[0] = { ...suite.probes[0]!, score: dkScore };
  const p = join(dir, `${name}.json`);
  writeFileSync(p, toJson(suite, { ...snapshotScore(), overall }));
  return p;
}

describe('report, diff and compare commands', () => {
  it('report --format html/junit/json writes files; json round-trips', async () => {
    const a = writeRun('a', 0.87, 0.65);
    expect(await main(['report', a, '--format', 'html', '-o', join(dir, 'r.html')])).toBe(0);
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toContain('<svg id="sway-gauge"');
    expect(await main(['report', a, '--format', 'json', '-o', join(dir, 'r.json')])).toBe(0);
    expect(readFileSync(join(dir, 'r.json'), 'utf8')).toBe(readFileSync(a, 'utf8'));
    expect(await main(['report', a, '--format', 'html'])).toBe(2);
  });
  it('diff prints per-probe deltas and regression counts', async () => {
    const a = writeRun('a', 0.87, 0.65);
    const b = writeRun('b', 0.6, 0.5);
    expect(await main(['diff', a, b])).toBe(0);
    expect(stdout).toContain('overall  A: 0.65   B: 0.50');
    expect(stdout).toMatch(/dk\s+0\.87 {2}\u2192 {2}0\.60 {3}\(-0\.27\)/);
    expect(stdout).toContain('A\u2192B: 1 probe(s) regressed >0.10, 1 regressed >0.20, composite \u0394=-0.15');
  });
  it('compare --fail-on-regression exits 1 on a drop', async () => {
    const a = writeRun('v1', 0.87, 0.65);
    const b = writeRun('v2', 0.6, 0.5);
    expect(await main(['compare', a, b, '--format', 'md'])).toBe(0);
    expect(stdout).toContain('| dk | 0.87 | 0.60 | -0.27 |');
    expect(await main(['compare', a, b, '--fail-on-regression', '0.2'])).toBe(1);
  });
});
