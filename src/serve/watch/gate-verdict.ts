/**
 * The gate rule applied to a `sway run --json` report object: it fails when any probe's
 * verdict is `fail` or the composite is below the threshold. Working on the JSON keeps
 * the watch loop independent of where the report came from (local run or a daemon).
 */
export interface GateVerdict {
  verdict: 'pass' | 'fail';
  overall: number | null;
  reason: string;
}

export function gateVerdictOfReport(report: Record<string, unknown>, threshold: number): GateVerdict {
  const probes = Array.isArray(report['probes']) ? (report['probes'] as Record<string, unknown>[]) : [];
  const score = report['score'];
  const overallRaw = score !== null && typeof score === 'object' ? (score as Record<string, unknown>)['overall'] : undefined;
  const overall = typeof overallRaw === 'number' && Number.isFinite(overallRaw) ? overallRaw : null;
  const failed = probes.filter((p) => String(p['verdict']).toLowerCase() === 'fail').map((p) => String(p['name']));
  if (overall === null) return { verdict: 'fail', overall, reason: 'report has no composite score' };
  if (overall < threshold) return { verdict: 'fail', overall, reason: `overall=${overall.toFixed(2)} < ${threshold.toFixed(2)}` };
  if (failed.length > 0) return { verdict: 'fail', overall, reason: `probe(s) reported FAIL: ${failed.join(', ')}` };
  return { verdict: 'pass', overall, reason: `overall=${overall.toFixed(2)}` };
}
