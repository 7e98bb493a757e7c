/**
 * A hostile training_state.pt is a probe result, not a crash (reference semantics, see
 * docs/cli.md "sway run"): gradient_ghost is an ERROR row naming the file, the other probes
 * run, the report is written whole, `run` exits 0 and `gate` exits 1.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { swayIn } from '../support/cli.js';

const FIX = resolve(import.meta.dirname, '../fixtures/pt');

describe('hostile training_state.pt through the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sway-hostile-ts-'));
  const spec = join(dir, 'sway.yaml');
  writeFileSync(
    spec,
    `version: 1
models:
  base: {kind: dummy, base: tiny}
  ft: {kind: dummy, base: tiny}
suite:
  - {name: ghost, kind: gradient_ghost, adapter_path: ${JSON.stringify(join(FIX, 'malicious'))}}
  - {name: ghost_ok, kind: gradient_ghost, adapter_path: ${JSON.stringify(join(FIX, 'converged'))}}
`,
  );

  it('run: exit 0, ERROR row naming the file, the next probe still ran, report complete', async () => {
    const json = join(dir, 'report.json');
    const r = await swayIn(['run', spec, '--json', json, '--quiet', '--no-color']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { probes: { name: string; verdict: string; message: string }[] };
    expect(report.probes.map((p) => p.name)).toEqual(['ghost', 'ghost_ok']);
    expect(report.probes[0]!.verdict).toBe('error');
    expect(report.probes[0]!.message).toContain(join(FIX, 'malicious', 'training_state.pt'));
    expect(report.probes[0]!.message).toMatch(/refusing to load global/);
    expect(report.probes[1]!.verdict).not.toBe('error');
  });

  it('gate: exit 1', async () => {
    const r = await swayIn(['gate', spec, '--quiet', '--no-color']);
    expect(r.code).toBe(1);
  });
});
