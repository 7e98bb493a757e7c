/** `sway demo` end to end: tiny fixtures, trained adapter → healthy + gate pass, random → noise. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'sway-demo-'));
// Keep the null-stats cache of these runs out of the home directory.
process.env['SWAY_NULL_CACHE_DIR'] = join(dir, 'null-cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let stdout = '';
beforeEach(() => {
  stdout = '';
  process.env['NO_COLOR'] = '1';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

describe('sway demo', () => {
  it('trained adapter: healthy band and gate pass; random adapter: noise band', { timeout: 60_000 }, async () => {
    expect(await main(['demo', '--out', join(dir, 'demo'), '--quiet'])).toBe(0);
    const trained = /adapters\/trained\s+overall (\d\.\d\d)\s+\[ (\w+) \]\s+gate (passed|failed)/.exec(stdout);
    const random = /adapters\/random\s+overall (\d\.\d\d)\s+\[ (\w+) \]\s+gate (passed|failed)/.exec(stdout);
    expect(trained?.[2]).toBe('healthy');
    expect(trained?.[3]).toBe('passed');
    expect(random?.[2]).toBe('noise');
    expect(random?.[3]).toBe('failed');
    expect(stdout).toMatch(/\u2705 adapter is \d+\.\d\u03c3 above noise/);
    expect(stdout).toMatch(/\u274c adapter is -?\d+\.\d\u03c3 \u2014 indistinguishable from a null adapter/);
    // Both reports are complete terminal reports.
    expect(stdout.match(/sway report \u2014/g)).toHaveLength(2);
  });

  it('check: σ banner above noise for the trained adapter, null-like for the random one (fixtures from the demo)', { timeout: 60_000 }, async () => {
    const root = join(dir, 'demo');
    expect(await main(['check', join(root, 'adapters', 'trained'), '--base', join(root, 'base'), '--quiet'])).toBe(0);
    expect(stdout).toMatch(/\u2705 adapter is \d+\.\d\u03c3 above noise/);
    stdout = '';
    expect(await main(['check', join(root, 'adapters', 'random'), '--base', join(root, 'base'), '--quiet'])).toBe(0);
    expect(stdout).toMatch(/\u274c adapter is -?\d+\.\d\u03c3 \u2014 indistinguishable from a null adapter/);
    expect(stdout).toContain('quick_delta_kl');
  });
});
