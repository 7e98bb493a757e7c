/** JUnit XML (core-suite §6.4): one testcase per probe, for CI test-report viewers. */
import type { SuiteResult, SwayScore } from '../core/results.js';
import { toFixedPy } from './format.js';
import { wallSeconds } from './json.js';

export function xmlAttr(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;')
    // Characters XML 1.0 cannot carry at all.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

const fx = (v: number, d: number): string => (Number.isFinite(v) ? toFixedPy(v, d) : 'nan');

export function toJunit(suite: SuiteResult, score: SwayScore): string {
  const count = (v: string): number => suite.probes.filter((p) => p.verdict === v).length;
  let out =
    `<testsuite name="sway" tests="${suite.probes.length}" failures="${count('fail')}" errors="${count('error')}" ` +
    `skipped="${count('skip')}" time="${fx(wallSeconds(suite), 3)}">`;
  out += '<properties>';
  out += `<property name="overall" value="${fx(score.overall, 4)}" />`;
  out += `<property name="band" value="${xmlAttr(score.band)}" />`;
  for (const [cat, v] of Object.entries(score.components)) {
    out += `<property name="component.${xmlAttr(cat)}" value="${fx(v ?? 0, 4)}" />`;
  }
  out += '</properties>';
  for (const p of suite.probes) {
    const open = `<testcase classname="${xmlAttr(p.kind)}" name="${xmlAttr(p.name)}" time="${fx(p.duration_s, 3)}"`;
    const child =
      p.verdict === 'fail'
        ? `<failure message="${xmlAttr(p.message || 'failed')}" />`
        : p.verdict === 'error'
          ? `<error message="${xmlAttr(p.message || 'errored')}" />`
          : p.verdict === 'skip'
            ? `<skipped message="${xmlAttr(p.message || 'skipped')}" />`
            : null;
    out += child ? `${open}>${child}</testcase>` : `${open} />`;
  }
  return `${out}</testsuite>`;
}
