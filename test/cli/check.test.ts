/**
 * `sway check`: exit 0 only for an adapter distinguishable from a null of its strength with
 * no failed check, 1 otherwise, 2 on bad input; a hub id as base resolves in the hub cache.
 * Runs through the library entry (main) in-process; one spawned smoke run checks the binary.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { DEFAULT_TRAINED_PAIRS } from '../../src/engine/fixtures/adapters.js';
import { GENERAL_PROMPTS } from '../../src/suite/demo-specs.js';
import { sway } from '../support/cli.js';
import { tinyFixtures } from '../support/fixtures.js';

async function check(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const code = await main(['check', ...args, '--quiet', '--no-color']);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('sway check', () => {
  const fx = tinyFixtures('llama');
  const cacheDir = mkdtempSync(join(tmpdir(), 'sway-check-null-'));
  afterEach(() => vi.restoreAllMocks());
  // The prompts the trained fixture was built for plus the everyday ones: on generic prompts
  // alone its ablation curve is not linear, on taught prompts alone it saturates without
  // overshoot (1.01 < 1.02); on both, every check passes (overshoot 1.024, R² 0.94).
  const taught = ['--prompt', ...DEFAULT_TRAINED_PAIRS.map((p) => p.prompt), ...GENERAL_PROMPTS];

  it('exits 0 for the trained adapter with one line that agrees with its probes', async () => {
    const r = await check([fx.trained, ...taught], { SWAY_NULL_CACHE_DIR: cacheDir });
    expect(r.code, r.stderr).toBe(0);
    const last = r.stdout.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^PASS: adapter is distinguishable from a null adapter of its strength \(delta_kl z[= ]/);
    expect(last).toContain('no check failed');
  });

  it('exits 1 for the random adapter, and --json says why', async () => {
    const r = await check([fx.random, '--json'], { SWAY_NULL_CACHE_DIR: cacheDir });
    expect(r.code, r.stderr).toBe(1);
    const j = JSON.parse(r.stdout) as { verdict: string; exit_code: number; line: string; delta_kl_z: number; null_scale: string; report: { probes: unknown[] } };
    expect(j.verdict).toBe('fail');
    expect(j.exit_code).toBe(1);
    expect(Math.abs(j.delta_kl_z)).toBeLessThan(3);
    expect(j.line).toMatch(/^FAIL: adapter is indistinguishable from a null adapter of its strength/);
    expect(j.null_scale).toBe('matched');
    expect(j.report.probes.length).toBe(3);
  });

  it('resolves a hub id in base_model_name_or_path through the local hub cache', async () => {
    const hub = mkdtempSync(join(tmpdir(), 'sway-hub-'));
    const repo = join(hub, 'models--tiny-org--tiny-llama');
    cpSync(fx.base, join(repo, 'snapshots', 'abc123'), { recursive: true });
    mkdirSync(join(repo, 'refs'), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), 'abc123');
    const adapter = join(mkdtempSync(join(tmpdir(), 'sway-hub-adapter-')), 'trained');
    cpSync(fx.trained, adapter, { recursive: true });
    const cfgPath = join(adapter, 'adapter_config.json');
    writeFileSync(cfgPath, JSON.stringify({ ...JSON.parse(readFileSync(cfgPath, 'utf8')), base_model_name_or_path: 'tiny-org/tiny-llama' }));
    const r = await check([adapter, ...taught], { HF_HUB_CACHE: hub, SWAY_NULL_CACHE_DIR: cacheDir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('tiny-org/tiny-llama');
  });

  it('exits 1 when its own ablation fails, and names the failed check', async () => {
    // On generic prompts the trained fixture moves the distribution, but its ablation curve is not healthy.
    const r = await check([fx.trained], { SWAY_NULL_CACHE_DIR: cacheDir });
    expect(r.code, r.stderr).toBe(1);
    const last = r.stdout.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^FAIL: adapter is distinguishable from a null adapter of its strength \(delta_kl z=\+[\d.]+σ\); a check failed: ablation \(adapter_ablation\) failed: .*\(assert_\w+\)/);
  });

  it('exits 2 with one line on bad input', async () => {
    const missing = await check([join(tmpdir(), 'no-such-adapter-dir')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^sway: error: .*adapter_config\.json: not found/);
    const unknownHub = await check([fx.trained, '--base', 'nobody/nothing'], { HF_HUB_CACHE: mkdtempSync(join(tmpdir(), 'sway-empty-hub-')) });
    expect(unknownHub.code).toBe(2);
    expect(unknownHub.stderr).toMatch(/model 'nobody\/nothing' not found/);
  });

  it('the installed binary gives the same exit code (smoke)', () => {
    const r = sway(['check', fx.random, '--quiet'], { env: { SWAY_NULL_CACHE_DIR: cacheDir } });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^FAIL: /);
  });
});
