/**
 * What `sway check` concludes from its own probes: exit 0 only when delta_kl stands above a
 * null of the adapter's strength and no probe failed or errored; one line that says why.
 */
import type { ProbeResult, SuiteResult } from '../../core/results.js';

export interface CheckOutcome {
  verdict: 'pass' | 'fail';
  exitCode: 0 | 1;
  line: string;
  deltaKlZ: number | null;
  distinguishable: boolean;
  failed: { name: string; kind: string; verdict: string; reason: string }[];
  nullFamily: string | null;
}

const zStr = (z: number) => (z > 50 ? ' > 50σ' : z < -50 ? ' < -50σ' : `=${z >= 0 ? '+' : ''}${z.toFixed(2)}σ`);

function reasonOf(p: ProbeResult): string {
  const checks = p.evidence['failed_checks'];
  if (Array.isArray(checks) && checks.length) return (checks as string[]).join('; ');
  return p.message;
}

export function checkOutcome(suite: SuiteResult): CheckOutcome {
  const nul = suite.probes.find((p) => p.kind === 'null_adapter');
  const nullFamily = typeof nul?.evidence['null_scale'] === 'string' ? (nul.evidence['null_scale'] as string) : null;
  const dk = suite.probes.find((p) => p.kind === 'delta_kl');
  const z = dk?.z_score ?? null;
  const threshold = 3;
  const distinguishable = z !== null && z >= threshold && dk?.verdict === 'pass';
  const failed = suite.probes
    .filter((p) => p.verdict === 'fail' || p.verdict === 'error')
    .filter((p) => p !== dk || z === null)
    .map((p) => ({ name: p.name, kind: p.kind, verdict: p.verdict, reason: reasonOf(p) }));
  const ofStrength = nullFamily === 'init' ? 'a fixed-init-scale null adapter' : 'a null adapter of its strength';
  const parts: string[] = [];
  if (z === null) {
    const why = typeof dk?.evidence['null_fallback'] === 'string' ? ` ${dk.evidence['null_fallback'] as string}` : '';
    parts.push(`cannot tell the adapter from noise: no usable null calibration for delta_kl${why}`);
  } else if (distinguishable) {
    parts.push(`adapter is distinguishable from ${ofStrength} (delta_kl z${zStr(z)})`);
  } else {
    parts.push(`adapter is indistinguishable from ${ofStrength} (delta_kl z${zStr(z)}, needs ≥ +${threshold}σ)`);
  }
  if (failed.length) parts.push(`${failed.length === 1 ? 'a check' : `${failed.length} checks`} ${failed.length === 1 ? 'failed' : 'failed'}: ${failed.map((f) => `${f.name} (${f.kind}) ${f.verdict === 'error' ? 'errored' : 'failed'}: ${f.reason}`).join(' | ')}`);
  else if (distinguishable) parts.push('no check failed');
  const ok = distinguishable && failed.length === 0;
  return { verdict: ok ? 'pass' : 'fail', exitCode: ok ? 0 : 1, line: `${ok ? 'PASS' : 'FAIL'}: ${parts.join('; ')}`, deltaKlZ: z, distinguishable, failed, nullFamily };
}
