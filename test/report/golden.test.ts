import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromJson, toJson } from '../../src/report/json.js';
import { toJunit } from '../../src/report/junit.js';
import { toMarkdown } from '../../src/report/markdown.js';
import { toTerminal } from '../../src/report/terminal.js';
import { snapshotScore, snapshotSuite } from './fixture.js';

const dir = join(import.meta.dirname, '__golden__');

/** Compares with the committed golden file; UPDATE_GOLDEN=1 rewrites it. */
function golden(name: string, actual: string): void {
  const path = join(dir, name);
  if (process.env['UPDATE_GOLDEN'] || !existsSync(path)) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

describe('golden reports of the §2.7 fixture', () => {
  it('JSON', () => golden('report.json', toJson(snapshotSuite(), snapshotScore())));
  it('Markdown', () => golden('report.md', toMarkdown(snapshotSuite(), snapshotScore())));
  it('JUnit', () => golden('report.junit.xml', toJunit(snapshotSuite(), snapshotScore())));
  it('terminal (no colour)', () => golden('report.txt', toTerminal(snapshotSuite(), snapshotScore(), { color: false })));

  it('JSON round-trips byte for byte through fromJson', () => {
    const text = toJson(snapshotSuite(), snapshotScore());
    const { suite, score } = fromJson(text);
    expect(toJson(suite, score)).toBe(text);
    expect(suite.probes[0]?.ci_95).toEqual([0.412, 0.497]);
  });

  it('JSON pins the Python formatting details', () => {
    const text = toJson(snapshotSuite(), snapshotScore());
    expect(text).toContain('"schema_version": 1,');
    expect(text).toContain('"weight": 1.0');
    expect(text).toContain('"num_prompts": 4,');
    expect(text).toContain('"started_at": "2026-01-01T12:00:00+00:00"');
    expect(text).toContain('"finished_at": "2026-01-01T12:00:02.500000+00:00"');
    expect(text).toContain('"message": "mean js=0.4560, z=+5.12\\u03c3 vs null"');
    expect(text).toContain('"wall_seconds": 2.5');
    expect(text.endsWith('}')).toBe(true);
  });

  /* eslint-disable no-control-regex */
  it('colour output carries ANSI codes, plain output none', () => {
    expect(toTerminal(snapshotSuite(), snapshotScore(), { color: true })).toMatch(/\u001b\[/);
    expect(toTerminal(snapshotSuite(), snapshotScore(), { color: false })).not.toMatch(/\u001b\[/);
  });
});
