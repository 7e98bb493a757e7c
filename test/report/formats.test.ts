import { describe, expect, it } from 'vitest';
import { fromJson, toJson } from '../../src/report/json.js';
import { toJunit } from '../../src/report/junit.js';
import { toMarkdown } from '../../src/report/markdown.js';
import { pyFloatRepr } from '../../src/report/pyjson.js';
import { toTerminal } from '../../src/report/terminal.js';
import { formatDuration, formatRaw, formatScore, formatZ, fixed } from '../../src/report/format.js';
import { snapshotSuite } from './fixture.js';

describe('report formats (golden snapshots)', () => {
  const { suite, score } = snapshotSuite();

  it('JSON matches the reference report.json byte layout', () => {
    const text = toJson(suite, score);
    expect(text).toMatchSnapshot();
    expect(text).toContain('"started_at": "2026-01-01T12:00:00+00:00"');
    expect(text).toContain('"finished_at": "2026-01-01T12:00:02.500000+00:00"');
    expect(text).toContain('"message": "mean js=0.4560, z=+5.12\\u03c3 vs null"');
    expect(text).toContain('"num_prompts": 4');
    expect(text).toContain('"weight": 1.0');
    expect(text).toContain('"schema_version": 1');
    expect(text.endsWith('}')).toBe(true);
  });

  it('JSON round-trips through the tolerant reader', () => {
    const back = fromJson(toJson(suite, score));
    expect(toJson(back.suite, back.score)).toBe(toJson(suite, score));
    expect(() => fromJson('{"probes": [{"name": "a", "kind": "b", "verdict": "maybe"}]}')).toThrow(/unknown verdict/);
  });

  it('Markdown', () => expect(toMarkdown(suite, score)).toMatchSnapshot());
  it('JUnit XML', () => {
    const xml = toJunit(suite, score);
    expect(xml).toMatchSnapshot();
    expect(xml.startsWith('<testsuite name="sway" tests="4" failures="1" errors="1" skipped="1" time="2.500">')).toBe(true);
  });
  it('terminal (no colour)', () => expect(toTerminal(suite, score, { color: false })).toMatchSnapshot());
});

describe('number formatting like the reference', () => {
  it('Python float repr', () => {
    expect(pyFloatRepr(1)).toBe('1.0');
    expect(pyFloatRepr(2.5)).toBe('2.5');
    expect(pyFloatRepr(0.0001)).toBe('0.0001');
    expect(pyFloatRepr(0.00001)).toBe('1e-05');
    expect(pyFloatRepr(1e16)).toBe('1e+16');
    expect(pyFloatRepr(123456789012345.6)).toBe('123456789012345.6');
    expect(pyFloatRepr(-0.5)).toBe('-0.5');
    expect(pyFloatRepr(NaN)).toBe('NaN');
  });

  it('formatters round exact halves to even', () => {
    expect(fixed(0.125, 2)).toBe('0.12');
    expect(fixed(2.5, 0)).toBe('2');
    expect(formatScore(0.8765)).toBe('0.88');
    expect(formatRaw(1234.5678)).toBe('1,234.568');
    expect(formatZ(49.5)).toBe('+49.50σ');
    expect(formatZ(1234.56)).toBe('> 50σ');
    expect(formatZ(-213)).toBe('< -50σ');
    expect(formatZ(-1.5)).toBe('-1.50σ');
    expect(formatDuration(1.234)).toBe('1.23s');
    expect(formatDuration(42.66)).toBe('42.7s');
    expect(formatDuration(12345.6)).toBe('12,346s');
  });
});
