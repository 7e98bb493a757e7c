import { describe, expect, it } from 'vitest';
import { adapterLabel, decorateMessage, formatCi, formatDuration, formatRaw, formatScore, formatZ, toFixedPy } from '../../src/report/format.js';
import { dumpsPy, parsePyJson, pyFloatRepr } from '../../src/report/pyjson.js';

describe('number formatters', () => {
  it('round like Python (ties to even on exact halves)', () => {
    expect(toFixedPy(0.125, 2)).toBe('0.12');
    expect(toFixedPy(0.375, 2)).toBe('0.38');
    expect(toFixedPy(2.5, 0)).toBe('2');
    expect(toFixedPy(-0.125, 2)).toBe('-0.12');
    expect(toFixedPy(1.005, 2)).toBe('1.00'); // binary value is below the half
  });
  it('format each surface', () => {
    expect(formatScore(0.8765)).toBe('0.88');
    expect(formatScore(1)).toBe('1.00');
    expect(formatScore(null)).toBe('\u2014');
    expect(formatScore(NaN)).toBe('\u2014');
    expect(formatRaw(1234.5678)).toBe('1,234.568');
    expect(formatZ(3.14)).toBe('+3.14\u03c3');
    expect(formatZ(-1.5)).toBe('-1.50\u03c3');
    expect(formatZ(1234.56)).toBe('+1,234.56\u03c3');
    expect(formatCi([0.412, 0.497])).toBe('[0.412, 0.497]');
    expect(formatCi([0.1, Infinity])).toBe('\u2014');
    expect(formatDuration(1.234)).toBe('1.23s');
    expect(formatDuration(42.74)).toBe('42.7s');
    expect(formatDuration(12345.6)).toBe('12,346s');
  });
  it('adapter labels and rank profiles', () => {
    expect(adapterLabel('')).toBe('(base only)');
    expect(adapterLabel('/fixture/runs/adapter/v0003')).toBe('runs/adapter/v0003');
    expect(adapterLabel('my adapter')).toBe('"my adapter"');
    expect(decorateMessage('m', { z_by_rank: { 'rank_0.50': 1.5, 'rank_1.00': 3, 'rank_2.00': -0.25 } })).toBe(
      'm | rank profile: +1.50\u03c3 @ 0.5x / +3.00\u03c3 @ 1x / -0.25\u03c3 @ 2x',
    );
    expect(decorateMessage('', { z_by_rank: { a: 1, 'rank_1.00': 2 } })).toBe('rank profile: +1.00\u03c3 @ a / +2.00\u03c3 @ 1x');
    expect(decorateMessage('m', { z_by_rank: { 'rank_1.00': 2 } })).toBe('m');
  });
});

describe('Python-compatible JSON', () => {
  it('float repr', () => {
    expect(pyFloatRepr(1)).toBe('1.0');
    expect(pyFloatRepr(2.5)).toBe('2.5');
    expect(pyFloatRepr(1e-7)).toBe('1e-07');
    expect(pyFloatRepr(0.0001)).toBe('0.0001');
    expect(pyFloatRepr(1e16)).toBe('1e+16');
    expect(pyFloatRepr(123456789012345.6)).toBe('123456789012345.6');
    expect(pyFloatRepr(-1.5e-5)).toBe('-1.5e-05');
    expect(pyFloatRepr(NaN)).toBe('NaN');
  });
  it('sorted keys, ASCII escapes, NaN tokens; the reader keeps float-ness', () => {
    const text = dumpsPy({ b: [1, NaN, -Infinity], a: 'σ—' });
    expect(text).toBe('{\n  "a": "\\u03c3\\u2014",\n  "b": [\n    1,\n    NaN,\n    -Infinity\n  ]\n}');
    const back = parsePyJson('{"x": 1.0, "y": 2, "z": [NaN]}');
    expect(dumpsPy(back)).toBe('{\n  "x": 1.0,\n  "y": 2,\n  "z": [\n    NaN\n  ]\n}');
  });
});

describe('evidence float tagging in the JSON report', () => {
  it('prints reference float keys with .0 at any depth, other integers as ints', async () => {
    const { toJson } = await import('../../src/report/json.js');
    const { snapshotScore, snapshotSuite } = await import('./fixture.js');
    const suite = snapshotSuite();
    suite.probes[0] = { ...suite.probes[0]!, evidence: { weight: 2, num_prompts: 4, null_stats: { delta_kl: { mean: 0, std: 1, n: 3 } }, lambdas: [0, 0.5, 1] } };
    const text = toJson(suite, snapshotScore());
    expect(text).toContain('"weight": 2.0');
    expect(text).toContain('"num_prompts": 4,');
    expect(text).toMatch(/"mean": 0\.0,\s+"n": 3\.0,\s+"std": 1\.0/);
    expect(text).toMatch(/"lambdas": \[\s+0\.0,\s+0\.5,\s+1\.0\s+\]/);
  });
});

describe('colour decision', () => {
  it('NO_COLOR wins, then FORCE_COLOR, then the TTY', async () => {
    const { shouldColor } = await import('../../src/report/terminal.js');
    expect(shouldColor({ isTTY: true }, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
    expect(shouldColor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(shouldColor({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(shouldColor({ isTTY: true }, {})).toBe(true);
    expect(shouldColor({ isTTY: false }, {})).toBe(false);
  });
});
