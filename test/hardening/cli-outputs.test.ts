import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixed, signedFixed } from '../../src/cli/fixed.js';
import { oneLineError, swayIn } from '../support/cli.js';

let dir: string;
let spec: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sway-outputs-'));
  spec = join(dir, 'sway.yaml');
  writeFileSync(spec, 'version: 1\nmodels:\n  base: {kind: dummy, base: tiny}\n  ft: {kind: dummy, base: tiny}\nsuite:\n  - {name: dk, kind: delta_kl, prompts: [a, b]}\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('reports on stdout with -', () => {
  it('--json - writes the JSON report to stdout and nothing else there; no file named -', async () => {
    const r = await swayIn(['run', spec, '--json', '-', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const parsed = JSON.parse(r.stdout) as { probes: { name: string }[] };
    expect(parsed.probes.map((p) => p.name)).toEqual(['dk']);
    expect(existsSync('-')).toBe(false);
    expect(existsSync(join(dir, '-'))).toBe(false);
  });

  it('--markdown - and --junit - on gate; the table and the gate line go to stderr', async () => {
    const md = await swayIn(['gate', spec, '--markdown', '-', '--threshold', '0.1']);
    expect(md.stdout.startsWith('#')).toBe(true);
    expect(md.stdout).not.toContain('gate: PASS');
    expect(md.stderr).toContain('gate: PASS');
    const junit = await swayIn(['gate', spec, '--junit', '-', '--threshold', '0.1', '--quiet']);
    expect(junit.stdout.startsWith('<testsuite')).toBe(true);
    expect(junit.stdout).not.toContain('gate:');
  });

  it('refuses two reports on stdout before running anything', async () => {
    expect(oneLineError(await swayIn(['run', spec, '--json', '-', '--markdown', '-']))).toBe("sway: error: only one report can go to stdout; got '-' for --json and --markdown");
  });

  it('--json at a directory is exit 2 naming the option target, not a temp file', async () => {
    const target = join(dir, 'out.json');
    mkdirSync(target);
    const line = oneLineError(await swayIn(['run', spec, '--json', target, '--quiet']));
    expect(line).toBe(`sway: error: cannot write ${target}: it is a directory; give a file path`);
    expect(readdirSync(dir).sort()).toEqual(['out.json', 'sway.yaml']);
  });
});

describe('sway diff', () => {
  it('--json - prints the comparison as JSON on stdout, and --fail-on-regression sets exit 1', async () => {
    const ok = await swayIn(['diff', spec, '--a', dir, '--b', dir, '--json', '-', '--quiet']);
    expect(ok.code, ok.stderr).toBe(0);
    const diff = JSON.parse(ok.stdout) as { probes: { name: string; delta: number }[]; failed: boolean };
    expect(diff.probes.map((p) => p.name)).toEqual(['dk']);
    expect(diff.failed).toBe(false);
    expect(ok.stderr).toContain('per-probe (A → B, Δ):');
    const file = join(dir, 'diff.json');
    const again = await swayIn(['diff', spec, '--a', dir, '--b', dir, '--json', file, '--fail-on-regression', '0.05', '--quiet']);
    expect(again.code).toBe(0);
    expect(existsSync(file)).toBe(true);
    expect(oneLineError(await swayIn(['diff', spec, '--a', dir, '--b', dir, '--fail-on-regression', 'lots']))).toContain('--fail-on-regression must be a number >= 0');
  });
});

describe('numbers', () => {
  it('a value that rounds to zero prints without a minus sign', () => {
    expect(fixed(-0.00001, 4)).toBe('0.0000');
    expect(fixed(-0, 2)).toBe('0.00');
    expect(fixed(-0.5, 2)).toBe('-0.50');
    expect(signedFixed(-0.001, 2)).toBe('0.00');
    expect(signedFixed(0.25, 2)).toBe('+0.25');
  });
});
