import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { countSpikes } from '../../../src/probes/pre-run/loss-curve.js';
import { parsePyJson } from '../../../src/probes/pre-run/training-logs.js';
import { runTrainingDrift, sampleCurve, trainingDriftSchema } from '../../../src/probes/pre-run/training-drift.js';

// 3·exp(-i/8) + 0.5 rounded to 6 places; expected metrics computed with numpy (np.var, np.median).
const SMOOTH = [
  3.5, 3.147491, 2.836402, 2.561868, 2.319592, 2.105784, 1.9171, 1.750586, 1.603638, 1.473957, 1.359514, 1.258519, 1.16939,
  1.090735, 1.021322, 0.960065, 0.906006, 0.858299, 0.816198, 0.779043, 0.746255, 0.717319, 0.691784, 0.669248, 0.649361,
  0.631811, 0.616323, 0.602654, 0.590592, 0.579947,
];
const SPIKED = SMOOTH.map((x, i) => (i === 15 ? 1.360065 : x));

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function store(files: Record<string, string[]>): string {
  const root = mkdtempSync(join(tmpdir(), 'sway-td-'));
  dirs.push(root);
  mkdirSync(join(root, 'logs'));
  for (const [name, lines] of Object.entries(files)) writeFileSync(join(root, 'logs', name), lines.join('\n') + '\n');
  return root;
}
const step = (s: number | string, loss: number | string) => `{"type":"step","step":${JSON.stringify(s)},"loss":${typeof loss === 'number' ? loss : loss},"lr":0.0002}`;
const run = (store_path: string | null, extra: Record<string, unknown> = {}) =>
  runTrainingDrift(trainingDriftSchema.parse({ name: 'td', store_path, ...extra }));

describe('training_drift', () => {
  it('PASS on a smooth decay; a resumed run overwrites overlapping steps', () => {
    const s = store({
      'train-000001-20260101T000000.jsonl': [
        '{"type":"banner","run_id":"r1","seed":42}',
        ...SPIKED.slice(0, 20).map((l, i) => step(i, l)),
        '{"type":"step","step":20,"loss":0.1', // crash-truncated last line
      ],
      'train-000002-20260102T000000.jsonl': ['{"type":"banner","run_id":"r2"}', ...SMOOTH.slice(15).map((l, i) => step(String(i + 15), l))],
    });
    const r = run(s);
    expect(r.verdict).toBe('pass');
    expect(r.message).toBe('smoothness=0.99, convergence_ratio=0.17, instability_events=0, final_loss=0.580');
    expect(r.raw).toBeCloseTo(0.9861347973991497, 12);
    expect(r.score).toBe(r.raw);
    expect(r.evidence).toMatchObject({ num_steps: 30, num_log_files: 2, instability_events: 0, initial_loss: 3.5, final_loss: 0.579947, weight: 1 });
    expect(r.evidence['convergence_ratio'] as number).toBeCloseTo(0.16569914285714285, 12);
    expect(r.evidence['thresholds']).toEqual({ smoothness_gte: 0.7, convergence_ratio_lte: 0.7, instability_events_lte: 0 });
    expect((r.evidence['curve_sampled'] as unknown[]).length).toBe(30);
  });

  it('WARN (never FAIL) on a loss spike', () => {
    const r = run(store({ 'train-000001-x.jsonl': SPIKED.map((l, i) => step(i, l)) }));
    expect(r.verdict).toBe('warn');
    expect(r.message).toBe(
      'smoothness=0.97, convergence_ratio=0.17, instability_events=1, final_loss=0.580; warnings: instability_events=1 > 0',
    );
    expect(r.score!).toBeCloseTo(0.5 * 0.9696210118671589, 12);
  });

  it('NaN losses (Python literals) forward-fill and count as instability', () => {
    const lines = SMOOTH.map((l, i) => (i === 5 ? step(i, 'NaN') : step(i, l)));
    const r = run(store({ 'train-000001-x.jsonl': lines }), { assert_convergence_ratio_lte: 0.9 });
    expect(r.verdict).toBe('warn');
    expect(r.evidence['instability_events']).toBe(1);
    expect(r.message).toMatch(/; warnings: instability_events=1 > 0$/);
  });

  it('a flat curve has smoothness 0 and fails the convergence gate', () => {
    const r = run(store({ 'train-000001-x.jsonl': Array.from({ length: 12 }, (_, i) => step(i, 1.5)) }));
    expect(r.verdict).toBe('warn');
    expect(r.raw).toBe(0);
    expect(r.message).toBe(
      'smoothness=0.00, convergence_ratio=1.00, instability_events=0, final_loss=1.500; warnings: smoothness=0.00 < 0.7; convergence_ratio=1.00 > 0.7',
    );
  });

  it('every SKIP and ERROR path', () => {
    expect(run(null).message).toBe('no store_path provided (no .dlm context)');
    expect(run(null).verdict).toBe('skip');
    const empty = mkdtempSync(join(tmpdir(), 'sway-td-'));
    dirs.push(empty);
    expect(run(empty).message).toBe(`no logs/ directory under ${empty}`);
    const noFiles = store({ 'other.txt': ['x'] });
    expect(run(noFiles).message).toBe(`no train-*.jsonl files under ${join(noFiles, 'logs')}`);
    const short = run(store({ 'train-1.jsonl': [step(0, 1), step(1, 0.9)] }));
    expect(short.verdict).toBe('skip');
    expect(short.message).toBe('only 2 step records (< min_steps=10); curve too short to fit reliably');
    expect(short.evidence).toEqual({ num_steps: 2 });
    const bad = run(store({ 'train-1.jsonl': ['not json', step(0, 1)] }));
    expect(bad.verdict).toBe('error');
    expect(bad.message).toMatch(/^first line of train-1\.jsonl is not valid JSON: /);
    expect((bad.evidence['log_paths'] as string[]).length).toBe(1);
  });
});

describe('loss-curve helpers', () => {
  it('counts only loss increases against a self-excluded centred median', () => {
    expect(countSpikes([], 10, 3)).toBe(0);
    expect(countSpikes([-1, -1, 5], 10, 3)).toBe(1); // short: median |Δ| = 1
    expect(countSpikes([-1, -1, -5], 10, 3)).toBe(0);
    expect(countSpikes([0, 0, 0, 0.1], 2, 3)).toBe(1); // window median 0 counts
  });

  it('parses Python JSON literals but not inside strings', () => {
    expect(parsePyJson('{"a":NaN,"b":-Infinity,"c":"NaN"}')).toEqual({ a: NaN, b: -Infinity, c: 'NaN' });
  });

  it('downsamples with stride ceil(n/512) keeping the last point', () => {
    const pts = Array.from({ length: 1025 }, (_, i) => [i, i] as [number, number]);
    const s = sampleCurve(pts);
    expect(s.length).toBe(343); // stride ceil(1025/512)=3: 0,3,…,1023 plus 1024
    expect(s[1]).toEqual([3, 3]);
    expect(s[s.length - 1]).toEqual([1024, 1024]);
  });
});
