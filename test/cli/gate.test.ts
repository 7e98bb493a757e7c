import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectCleanError, sway, swayIn } from '../support/cli.js';

const spec = (suite: string) => `version: 1
models:
  base: {kind: dummy, base: tiny}
  ft: {kind: dummy, base: tiny}
suite:
${suite}`;

function write(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'sway-gate-')), 'sway.yaml');
  writeFileSync(f, text);
  return f;
}

describe('sway gate exit codes', () => {
  const passing = spec('  - {name: dk, kind: delta_kl, prompts: [a, b]}\n');

  it('0 when every probe passes and the composite clears the threshold', async () => {
    const f = write(passing);
    const junit = join(f, '..', 'sway.xml');
    const r = await swayIn(['gate', f, '--threshold', '0.3', '--junit', junit]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('gate: PASS');
    expect(readFileSync(junit, 'utf8')).toContain('<testcase classname="delta_kl" name="dk"');
  });

  it('1 when the composite is below the threshold', async () => {
    // the one spawned case of `sway gate`
    const r = sway(['gate', write(passing), '--threshold', '0.99']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/gate: FAIL — composite 0\.\d\d < threshold 0\.99/);
  });

  it('1 on an ERROR probe even when the score is fine', async () => {
    const r = await swayIn(['gate', write(spec('  - {name: dk, kind: delta_kl, prompts: [a]}\n  - {name: broken, kind: delta_kl}\n')), '--threshold', '0.1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('errored probe(s): broken');
  });

  it('2 on a bad spec or a bad threshold', async () => {
    expectCleanError(await swayIn(['gate', write(spec('  - {name: dk, kind: nope}\n'))]));
    expectCleanError(await swayIn(['gate', write(passing), '--threshold', '2']));
  });

  it('run writes every report format atomically and re-renders from JSON', async () => {
    const f = write(passing);
    const dir = join(f, '..');
    const r = await swayIn(['run', f, '--json', join(dir, 'r.json'), '--markdown', join(dir, 'r.md'), '--junit', join(dir, 'r.xml'), '--html', join(dir, 'r.html')]);
    expect(r.code, r.stderr).toBe(0);
    const again = await swayIn(['report', join(dir, 'r.json'), '--format', 'md']);
    expect(again.stdout).toBe(readFileSync(join(dir, 'r.md'), 'utf8'));
    // the one spawned case of `sway report`
    expectCleanError(sway(['report', join(dir, 'r.md')]));
  });
});
