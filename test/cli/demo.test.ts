import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { swayIn } from '../support/cli.js';

describe('sway demo', () => {
  it('runs the trained, random and strength-matched random adapters and shows all three verdicts', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sway-demo-test-')), 'demo');
    const r = await swayIn(['demo', '--out', out, '--quiet', '--no-color']);
    expect(r.code).toBe(0);
    for (const label of ['trained', 'random', 'strength-matched-random']) {
      expect(r.stdout).toContain(`=== demo: adapters/${label} ===`);
      expect(existsSync(join(out, `report-${label}.json`))).toBe(true);
    }
    expect(existsSync(join(out, 'fixtures', 'adapters', 'strength-matched-random', 'adapter_model.safetensors'))).toBe(true);
    const verdicts = r.stdout.slice(r.stdout.indexOf('=== demo: verdicts ==='));
    const line = (label: string) => verdicts.split('\n').find((l) => l.trim().startsWith(`adapters/${label} `))!;
    expect(line('trained')).toMatch(/ healthy /);
    for (const label of ['random', 'strength-matched-random']) {
      expect(line(label)).not.toMatch(/ healthy | suspicious /);
      const z = Number(/delta_kl z = (-?[\d.]+)/.exec(line(label))![1]);
      expect(Math.abs(z)).toBeLessThan(3);
    }
    // The verdict line agrees with the report written for the same adapter.
    const report = JSON.parse(readFileSync(join(out, 'report-strength-matched-random.json'), 'utf8')) as { score: { band: string; overall: number } };
    expect(line('strength-matched-random')).toContain(`${report.score.band}`);
    expect(line('strength-matched-random')).toContain(`composite ${report.score.overall.toFixed(2)}`);
  });
});
