/** Writes the report files a command was asked for (atomically). */
import { writeFileAtomic } from '../core/atomic-write.js';
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

export function writeOutputs(flags: OutputFlags, suite: SuiteResult, score: SwayScore): void {
  if (flags.json) writeFileAtomic(flags.json, toJson(suite, score));
  if (flags.markdown) writeFileAtomic(flags.markdown, toMarkdown(suite, score));
  if (flags.junit) writeFileAtomic(flags.junit, toJunit(suite, score));
  if (flags.html) writeFileAtomic(flags.html, toHtml(suite, score));
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
