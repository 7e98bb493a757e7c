import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradientGhostProbe, gradientGhostSchema, runGradientGhost } from '../../../src/probes/pre-run/gradient-ghost.js';

const PT = join(import.meta.dirname, '../../fixtures/pt');
const spec = (dir: string) => gradientGhostSchema.parse({ name: 'gg', adapter_path: dir });

describe('gradient_ghost', () => {
  it('PASS when every layer is within 2x of the quietest layer', () => {
    const r = runGradientGhost(spec(join(PT, 'converged')));
    expect(r.verdict).toBe('pass');
    expect(r.score).toBe(0.9);
    expect(r.raw).toBe(0);
    expect(r.message).toBe('global_step=200, no layer above 2.0× global exp_avg_sq mean — training looks converged.');
    expect(r.evidence).toMatchObject({ num_params: 8, num_layers: 4, params_per_layer: 2, num_layers_undertrained: 0, best_val_loss: null, use_qlora: false });
    expect((r.evidence['worst_layers'] as { layer: number }[]).map((w) => w.layer)).toEqual([3, 2, 1]);
    expect(r.evidence['global_mean_exp_avg_sq'] as number).toBeCloseTo(1.4e-4, 9);
  });

  it('WARN for one hot layer of four (25% <= 30%)', () => {
    const r = runGradientGhost(spec(join(PT, 'one_hot_layer')));
    expect(r.verdict).toBe('warn');
    expect(r.score).toBe(0.7);
    expect(r.raw).toBe(0.25);
    expect(r.message).toBe(
      '25% of layers (1/4) above 2.0× the global exp_avg_sq mean — adapter may be partially undertrained but other probes can still produce signal. global_step=200.',
    );
    const worst = r.evidence['worst_layers'] as { layer: number; ratio: number }[];
    expect(worst[0]!.layer).toBe(3);
    expect(worst[0]!.ratio).toBeCloseTo(5, 5);
    expect(worst.slice(1).map((w) => w.layer)).toEqual([0, 1]);
  });

  it('FAIL when half the layers (bf16 state) are hot', () => {
    const r = runGradientGhost(spec(join(PT, 'half_hot')));
    expect(r.verdict).toBe('fail');
    expect(r.score).toBe(0.3);
    expect(r.raw).toBe(0.5);
    expect(r.message).toBe(
      "50% of layers (2/4) still show high gradient variance — training-loss curve likely hasn't flattened. global_step=200.",
    );
  });

  it('FAIL below the step floor', () => {
    const r = runGradientGhost(spec(join(PT, 'few_steps')));
    expect(r.verdict).toBe('fail');
    expect(r.score).toBe(0);
    expect(r.raw).toBe(10);
    expect(r.evidence['primary_signal']).toBe('global_step_below_threshold');
    expect(r.message).toBe(
      'severely undertrained: global_step=10 < threshold 50. Probe scores on this adapter will be unreliable; consider retraining.',
    );
  });

  it('FAIL when every exp_avg_sq is NaN', () => {
    const r = runGradientGhost(spec(join(PT, 'all_nan')));
    expect(r.verdict).toBe('fail');
    expect(r.raw).toBe(0);
    expect(r.evidence).toEqual({ global_step: 200, num_params: 8, num_nonfinite_exp_avg_sq: 8, primary_signal: 'all_optimizer_state_nan' });
    expect(r.message).toBe("every per-param exp_avg_sq is NaN or non-finite — training didn't propagate gradients meaningfully.");
  });

  it('SKIP when training_state.pt is missing', () => {
    const r = runGradientGhost(spec(join(PT, 'absent')));
    expect(r.verdict).toBe('skip');
    expect(r.message).toMatch(/^no training_state\.pt under .*absent — adapter wasn't produced by dlm or the file was pruned\. Pre-run diagnostics \(gradient_ghost\) will SKIP for this adapter\.$/);
  });

  it('ERROR (not SKIP) for a malicious or truncated file, nothing executed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sway-gg-'));
    rmSync('/tmp/sway-pt-fixture-pwned', { force: true });
    copyFileSync(join(PT, 'malicious.pt'), join(dir, 'training_state.pt'));
    const r = runGradientGhost(spec(dir));
    expect(r.verdict).toBe('error');
    expect(r.message).toMatch(/refusing to unpickle global 'posix\.system'/);
    expect(existsSync('/tmp/sway-pt-fixture-pwned')).toBe(false);
    copyFileSync(join(PT, 'truncated.pt'), join(dir, 'training_state.pt'));
    const t = runGradientGhost(spec(dir));
    expect(t.verdict).toBe('error');
    expect(t.message).toMatch(/no ZIP end-of-central-directory record/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('without the safetensors file, per-layer analysis is off and the step floor decides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sway-gg-'));
    copyFileSync(join(PT, 'half_hot', 'training_state.pt'), join(dir, 'training_state.pt'));
    const r = runGradientGhost(spec(dir));
    expect(r.verdict).toBe('pass');
    expect(r.evidence['num_layers']).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a pre-run calibration probe that opts out of null calibration', () => {
    expect(gradientGhostProbe.needsBackend).toBe(false);
    expect(gradientGhostProbe.category).toBe('calibration');
    expect(() => gradientGhostSchema.parse({ name: 'x', adapter_path: '.', undertrained_layer_ratio: 1 })).toThrow();
  });
});
