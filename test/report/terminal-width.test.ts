/** The terminal table fits the terminal: the note column wraps, and pipes get one line per probe. */
import { describe, expect, it } from 'vitest';
import type { SuiteResult } from '../../src/core/results.js';
import { toTerminal, wrapText } from '../../src/report/terminal.js';
import { snapshotSuite } from './fixture.js';

const long = 'R²=0.78, sat_λ=1.25 (out of band), overshoot=2.25 — failed: linearity R²=0.778 < 0.85 (assert_linearity_gte); saturation λ=1.25 outside [0.3, 1.05] (assert_saturation_between) (no calibration for adapter_ablation)';

function suiteWithLongNote(): { suite: SuiteResult; score: ReturnType<typeof snapshotSuite>['score'] } {
  const { suite, score } = snapshotSuite();
  return { suite: { ...suite, probes: suite.probes.map((p, i) => (i === 0 ? { ...p, message: long } : p)) }, score };
}

const tableLines = (text: string) => text.split('\n').slice(text.split('\n').findIndex((l) => l.startsWith('name ')));

describe('terminal width', () => {
  it('at 100 columns every line fits and no word of a note is lost', () => {
    const { suite, score } = suiteWithLongNote();
    const lines = tableLines(toTerminal(suite, score, { color: false, width: 100 })).slice(0, 12);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
    expect(lines.join(' ').replace(/\s+/g, ' ')).toContain('saturation λ=1.25 outside [0.3, 1.05] (assert_saturation_between)');
  });

  it('with room for a note column (140), the note wraps inside it', () => {
    const { suite, score } = suiteWithLongNote();
    const lines = tableLines(toTerminal(suite, score, { color: false, width: 140 })).slice(0, 8);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(140);
    const noteCol = lines[0]!.indexOf('note');
    expect(lines[1]!.slice(noteCol).startsWith('R²=0.78')).toBe(true);
    const cont = lines.slice(2).filter((l) => l.startsWith(' '.repeat(noteCol)) && l.trim());
    expect(cont.length).toBeGreaterThan(0);
    const joined = [lines[1]!, ...cont].map((l) => l.slice(noteCol)).join(' ').replace(/\s+/g, ' ');
    expect(joined).toBe(long);
  });

  it('too narrow for a note column: the note goes below its row, indented', () => {
    const { suite, score } = suiteWithLongNote();
    const text = toTerminal(suite, score, { color: false, width: 60 });
    const lines = tableLines(text);
    expect(lines[1]!.trimEnd().endsWith('+5.12σ')).toBe(true);
    expect(lines[2]!.startsWith('    R²=0.78')).toBe(true);
  });

  it('no width (a pipe or a file): one line per probe, no colour codes', () => {
    const { suite, score } = suiteWithLongNote();
    const text = toTerminal(suite, score, { color: false, width: null });
    const lines = tableLines(text);
    expect(lines[1]!.endsWith(long)).toBe(true);
    expect(text.includes('\u001b[')).toBe(false);
  });

  it('wrapText keeps words, cuts only words longer than the width', () => {
    expect(wrapText('aaa bbb ccc', 8)).toEqual(['aaa bbb', 'ccc']);
    expect(wrapText('abcdefghijkl', 8)).toEqual(['abcdefgh', 'ijkl']);
    expect(wrapText('', 10)).toEqual(['']);
  });
});
