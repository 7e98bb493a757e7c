/** JUnit XML: one testcase per probe, for CI dashboards. */
import type { SuiteResult, SwayScore } from '../core/results.js';
import { fixed, wallSeconds } from './format.js';

export function xmlAttr(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

export function toJunit(suite: SuiteResult, score: SwayScore): string {
  const count = (v: string) => suite.probes.filter((p) => p.verdict === v).length;
  const parts: string[] = [];
  parts.push(`<testsuite name="sway" tests="${suite.probes.length}" failures="${count('fail')}" errors="${count('error')}" skipped="${count('skip')}" time="${fixed(wallSeconds(suite), 3)}">`);
  parts.push('<properties>');
  parts.push(`<property name="overall" value="${fixed(score.overall, 4)}" />`);
  parts.push(`<property name="band" value="${xmlAttr(score.band)}" />`);
  for (const [cat, v] of Object.entries(score.components)) parts.push(`<property name="component.${xmlAttr(cat)}" value="${fixed(v as number, 4)}" />`);
  parts.push('</properties>');
  for (const p of suite.probes) {
    const open = `<testcase classname="${xmlAttr(p.kind)}" name="${xmlAttr(p.name)}" time="${fixed(p.duration_s, 3)}"`;
    const child = p.verdict === 'fail' ? ['failure', 'failed'] : p.verdict === 'error' ? ['error', 'errored'] : p.verdict === 'skip' ? ['skipped', 'skipped'] : null;
    parts.push(child ? `${open}><${child[0]} message="${xmlAttr(p.message || (child[1] as string))}" /></testcase>` : `${open} />`);
  }
  parts.push('</testsuite>');
  return parts.join('');
}
