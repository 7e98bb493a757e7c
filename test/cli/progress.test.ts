import { describe, expect, it } from 'vitest';
import { progressReporter } from '../../src/cli/shared/progress.js';
import type { ProbeResult } from '../../src/core/results.js';

const result = (name: string): ProbeResult => ({ name, kind: 'delta_kl', verdict: 'pass', score: 1, raw: 1, z_score: null, base_value: null, ft_value: null, evidence: {}, message: '', duration_s: 0.25, ci_95: null });

function sink(isTTY: boolean): { isTTY: boolean; text: string; write(s: string): boolean } {
  return { isTTY, text: '', write(s: string) { this.text += s; return true; } };
}

describe('progress on stderr', () => {
  it('is silent with --quiet or CI', () => {
    expect(progressReporter({ quiet: true, env: {} })).toBeUndefined();
    expect(progressReporter({ env: { CI: 'true' } })).toBeUndefined();
  });
  it('prints one line per finished probe when stderr is not a TTY', () => {
    const s = sink(false);
    let t = 0;
    const p = progressReporter({ env: {}, stream: s, now: () => t })!;
    p({ type: 'start', total: 2 });
    p({ type: 'probe-start', index: 0, total: 2, name: 'a', kind: 'delta_kl' });
    t = 1;
    p({ type: 'probe-end', index: 0, total: 2, result: result('a') });
    expect(s.text).toBe('sway: [1/2] a pass (0.25s, elapsed 1.0s)\n');
  });
  it('redraws one line on a TTY at most every 100 ms, with an ETA', () => {
    const s = sink(true);
    let t = 0;
    const p = progressReporter({ env: {}, stream: s, now: () => t })!;
    p({ type: 'start', total: 4 });
    p({ type: 'probe-start', index: 0, total: 4, name: 'a', kind: 'delta_kl' });
    t = 0.05;
    p({ type: 'probe-end', index: 0, total: 4, result: result('a') });
    expect(s.text.split('\r').length - 1).toBe(1);
    t = 2;
    p({ type: 'probe-end', index: 1, total: 4, result: result('b') });
    expect(s.text).toContain('sway: [2/4] a (delta_kl)  elapsed 2.0s  eta 2.0s');
  });
});
