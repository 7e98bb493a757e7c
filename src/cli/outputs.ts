/** Writes the report files a command was asked for (atomically), or one of them to stdout when its path is `-`. */
import { writeFileAtomic } from '../core/atomic-write.js';
import { UsageError } from '../core/errors.js';
import type { SuiteResult, SwayScore } from '../core/results.js';
import { toHtml } from '../report/html.js';
import { toJson } from '../report/json.js';
import { toJunit } from '../report/junit.js';
import { toMarkdown } from '../report/markdown.js';

export interface OutputFlags {
  json?: string;
  markdown?: string;
  junit?: string;
  html?: string;
}

/**
 * Which report goes to stdout (`--json -` and the like), checked before any work starts:
 * at most one may, and then stdout carries that report and nothing else.
 */
export function stdoutReport(flags: OutputFlags): keyof OutputFlags | null {
  const dashed = (Object.keys(flags) as (keyof OutputFlags)[]).filter((k) => ['json', 'markdown', 'junit', 'html'].includes(k) && flags[k] === '-');
  if (dashed.length > 1) throw new UsageError(`only one report can go to stdout; got '-' for ${dashed.map((k) => `--${k}`).join(' and ')}`);
  return dashed[0] ?? null;
}

/** Writes the requested reports; returns true when one went to stdout (the caller then prints nothing else there). */
export function writeOutputs(flags: OutputFlags, suite: SuiteResult, score: SwayScore): boolean {
  const toStdout = stdoutReport(flags);
  const render = { json: toJson, markdown: toMarkdown, junit: toJunit, html: toHtml } as const;
  for (const key of ['json', 'markdown', 'junit', 'html'] as const) {
    const target = flags[key];
    if (!target) continue;
    const text = render[key](suite, score);
    if (key === toStdout) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    else writeFileAtomic(target, text);
  }
  return toStdout !== null;
}

/** `gate` semantics: no FAIL, no ERROR, composite at or above the threshold. */
export function gatePasses(suite: SuiteResult, score: SwayScore, threshold: number): { ok: boolean; reasons: string[] } {
  const reasons: string[] = [];
  const fails = suite.probes.filter((p) => p.verdict === 'fail').map((p) => p.name);
  const errors = suite.probes.filter((p) => p.verdict === 'error').map((p) => p.name);
  if (fails.length) reasons.push(`failed probe(s): ${fails.join(', ')}`);
  if (errors.length) reasons.push(`errored probe(s): ${errors.join(', ')}`);
  if (score.overall < threshold) reasons.push(`composite ${score.overall.toFixed(2)} < threshold ${threshold.toFixed(2)}`);
  return { ok: reasons.length === 0, reasons };
}
