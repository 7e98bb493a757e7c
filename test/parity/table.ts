/**
 * Renders the agreement table (fixture × view, max |Δ| against the transformers + PEFT
 * goldens) into docs/parity-goldens.md between its markers. Only runs when the parity
 * test is started with SWAY_PARITY_TABLE=<path> (parity/agreement.sh does that).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ParityExpectation } from './expectations.js';
import type { Measurement } from './goldens.js';
import { VIEW_NAMES } from './goldens.js';

export interface TableRow {
  expectation: ParityExpectation;
  modelType: string;
  measurement: Measurement | null;
  error: string | null;
}

const START = '<!-- agreement:start -->';
const END = '<!-- agreement:end -->';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const fmt = (x: number): string => (x === 0 ? '0' : x.toExponential(1));
/** Table-safe text with the machine's repository path removed. */
const cell = (s: string): string => s.split(REPO).join('').replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderTable(rows: TableRow[], tol: number): string {
  const head = ['fixture', 'model_type', 'status', ...VIEW_NAMES, 'note'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const views = VIEW_NAMES.map((v) => {
      const d = r.measurement?.views[v];
      if (!d) return '—';
      const worst = Math.max(d.nextToken, d.completion);
      return worst <= tol ? fmt(worst) : `**${fmt(worst)}**`;
    });
    const note = r.error ? `${r.expectation.reason} — error: \`${cell(r.error).slice(0, 200)}\`` : r.expectation.reason;
    lines.push(`| ${[r.expectation.fixture, r.modelType, r.expectation.status, ...views, cell(note)].join(' | ')} |`);
  }
  const counts = ['supported', 'refused', 'known-mismatch'].map((s) => `${rows.filter((r) => r.expectation.status === s).length} ${s}`);
  return [
    `${rows.length} fixtures: ${counts.join(', ')}. Cells: max |Δ| over next-token top-50 logprobs, the full-vocabulary maximum and completion sums; tolerance ${tol}; bold = above it.`,
    '',
    ...lines,
  ].join('\n');
}

/** Replaces the text between the markers of `path` (atomically). */
export function writeTable(path: string, table: string): void {
  const doc = readFileSync(path, 'utf8');
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${path}: markers ${START} / ${END} not found`);
  const out = `${doc.slice(0, a + START.length)}\n${table}\n${doc.slice(b)}`;
  writeFileSync(`${path}.tmp`, out);
  renameSync(`${path}.tmp`, path);
}
