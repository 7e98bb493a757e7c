import { mkdtemp, readFile, readdir, rm, writeFile, mkdir, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fingerprintDir } from '../../src/serve/watch/fingerprint.js';
import { gateVerdictOfReport } from '../../src/serve/watch/gate-verdict.js';
import { historyFileName, rotateHistory } from '../../src/serve/watch/history.js';
import { Watcher, type WatcherConfig } from '../../src/serve/watch/watcher.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sway-watch-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function report(overall: number, verdicts: string[]): Record<string, unknown> {
  return { probes: verdicts.map((v, i) => ({ name: `p${i}`, verdict: v })), score: { overall } };
}

/** A watcher over a scripted fingerprint and runner with a hand-moved clock. */
function harness(config: Partial<WatcherConfig> = {}) {
  const state = { fp: 'v1' as string | null, clock: 0, reports: [] as (Record<string, unknown> | Error)[] };
  const hooks: { command: string; env: Record<string, string> }[] = [];
  const runs: string[] = [];
  const watcher = new Watcher(
    { specPath: '/specs/sway.yaml', historyDir: join(dir, 'history'), keep: 3, threshold: 0.6, onFailCommand: 'notify-me', debounceMs: 500, ...config },
    {
      fingerprint: async () => state.fp,
      now: () => state.clock,
      runner: async (specPath) => {
        runs.push(`${specPath}@${state.fp}`);
        const next = state.reports.shift() ?? report(0.9, ['pass']);
        if (next instanceof Error) throw next;
        return next;
      },
      runHook: (command, env) => hooks.push({ command, env }),
    },
  );
  return { watcher, state, hooks, runs };
}

describe('gateVerdictOfReport', () => {
  it('fails below the threshold, on a FAIL probe, or without a score', () => {
    expect(gateVerdictOfReport(report(0.7, ['pass', 'warn', 'error']), 0.6)).toEqual({ verdict: 'pass', overall: 0.7, reason: 'overall=0.70' });
    expect(gateVerdictOfReport(report(0.5, ['pass']), 0.6)).toEqual({ verdict: 'fail', overall: 0.5, reason: 'overall=0.50 < 0.60' });
    expect(gateVerdictOfReport(report(0.9, ['pass', 'fail']), 0.6).reason).toBe('probe(s) reported FAIL: p1');
    expect(gateVerdictOfReport({ probes: [] }, 0.6).verdict).toBe('fail');
  });
});

describe('Watcher', () => {
  it('runs once the state has been quiet for the debounce period, and not again for the same state', async () => {
    const { watcher, state, runs } = harness();
    expect(await watcher.poll()).toBeNull(); // first sight of v1 starts the quiet period
    state.clock = 400;
    expect(await watcher.poll()).toBeNull();
    state.clock = 500;
    const first = await watcher.poll();
    expect(first?.sequence).toBe(1);
    expect(first?.verdict).toBe('pass');
    state.clock = 2000;
    expect(await watcher.poll()).toBeNull();
    expect(runs).toEqual(['/specs/sway.yaml@v1']);
  });

  it('restarts the quiet period while the adapter is still being written (one run per burst)', async () => {
    const { watcher, state, runs } = harness();
    await watcher.poll();
    state.clock = 600;
    await watcher.poll(); // runs v1
    for (const [t, fp] of [[700, 'v2a'], [900, 'v2b'], [1100, 'v2c']] as const) {
      state.clock = t;
      state.fp = fp;
      expect(await watcher.poll()).toBeNull();
    }
    state.clock = 1599;
    expect(await watcher.poll()).toBeNull();
    state.clock = 1600;
    expect((await watcher.poll())?.sequence).toBe(2);
    expect(runs).toEqual(['/specs/sway.yaml@v1', '/specs/sway.yaml@v2c']);
  });

  it('writes history files with the report and a sway_watch envelope, keeping the newest N', async () => {
    const { watcher, state } = harness({ keep: 2, debounceMs: 0 });
    const paths: string[] = [];
    for (const fp of ['a', 'b', 'c']) {
      state.fp = fp;
      const outcome = await watcher.poll();
      paths.push(outcome!.resultPath);
    }
    const files = (await readdir(join(dir, 'history'))).sort();
    expect(files).toHaveLength(2);
    expect(files.every((f) => /^\d{8}T\d{6}Z-0000[23]\.result\.json$/.test(f))).toBe(true);
    const last = JSON.parse(await readFile(paths[2]!, 'utf8')) as Record<string, unknown>;
    expect(last['score']).toEqual({ overall: 0.9 });
    expect(last['sway_watch']).toMatchObject({ sequence: 3, verdict: 'pass', spec_path: '/specs/sway.yaml', overall_score: 0.9, threshold: 0.6 });
    expect(Object.keys(last)).toEqual([...Object.keys(last)].sort());
  });

  it('fires the on-fail hook with SWAY_RESULT_PATH when the gate fails, not when it passes', async () => {
    const { watcher, state, hooks } = harness({ debounceMs: 0 });
    state.reports.push(report(0.9, ['pass']), report(0.3, ['pass']), report(0.9, ['fail']));
    const outcomes = [];
    for (const fp of ['a', 'b', 'c']) {
      state.fp = fp;
      outcomes.push(await watcher.poll());
    }
    expect(outcomes.map((o) => o?.verdict)).toEqual(['pass', 'fail', 'fail']);
    expect(hooks).toEqual([
      { command: 'notify-me', env: { SWAY_RESULT_PATH: outcomes[1]!.resultPath } },
      { command: 'notify-me', env: { SWAY_RESULT_PATH: outcomes[2]!.resultPath } },
    ]);
  });

  it('records a throwing run as an error entry and waits for the next change before retrying', async () => {
    const { watcher, state, hooks, runs } = harness({ debounceMs: 0 });
    state.reports.push(new Error('model directory vanished'));
    const outcome = await watcher.poll();
    expect(outcome?.verdict).toBe('error');
    const written = JSON.parse(await readFile(outcome!.resultPath, 'utf8')) as Record<string, unknown>;
    expect(written['error']).toBe('Error: model directory vanished');
    expect(hooks).toEqual([{ command: 'notify-me', env: { SWAY_RESULT_PATH: outcome!.resultPath } }]);
    expect(await watcher.poll()).toBeNull();
    state.fp = 'fixed';
    expect((await watcher.poll())?.verdict).toBe('pass');
    expect(runs).toHaveLength(2);
  });

  it('waits while there is nothing to watch and rejects bad settings', async () => {
    const { watcher, state, runs } = harness({ debounceMs: 0 });
    state.fp = null;
    expect(await watcher.poll()).toBeNull();
    expect(runs).toHaveLength(0);
    expect(() => harness({ keep: -1 })).toThrow(/--keep must be an integer >= 0/);
    expect(() => harness({ threshold: 1.5 })).toThrow(/--threshold must be in \[0, 1\]/);
  });

  it('runNow runs immediately and the next poll does not repeat the same state', async () => {
    const { watcher, state, runs } = harness();
    const outcome = await watcher.runNow();
    expect(outcome.sequence).toBe(1);
    state.clock = 10_000;
    expect(await watcher.poll()).toBeNull();
    expect(runs).toHaveLength(1);
  });

  it('stops the polling loop when aborted', async () => {
    const { watcher } = harness({ debounceMs: 0 });
    const controller = new AbortController();
    let sleeps = 0;
    await watcher.watch(10, controller.signal, async () => {
      sleeps += 1;
      if (sleeps === 3) controller.abort();
    });
    expect(sleeps).toBe(3);
  });
});

describe('fingerprintDir and rotation', () => {
  it('changes when a file is rewritten or added, and is null for a missing directory', async () => {
    const adapter = join(dir, 'adapter');
    expect(await fingerprintDir(adapter)).toBeNull();
    await mkdir(join(adapter, 'versions'), { recursive: true });
    await writeFile(join(adapter, 'adapter_config.json'), '{"r": 8}');
    const a = await fingerprintDir(adapter);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await fingerprintDir(adapter)).toBe(a);
    const t = new Date('2026-01-01T00:00:00Z');
    await writeFile(join(adapter, 'adapter_config.json'), '{"r": 4}');
    await utimes(join(adapter, 'adapter_config.json'), t, t);
    const b = await fingerprintDir(adapter);
    expect(b).not.toBe(a);
    await writeFile(join(adapter, 'adapter_config.json'), '{"r": 2}'); // same size, same mtime below
    await utimes(join(adapter, 'adapter_config.json'), t, t);
    expect(await fingerprintDir(adapter)).not.toBe(b);
    await writeFile(join(adapter, 'versions', 'v0002.safetensors'), 'xx');
    expect(await fingerprintDir(adapter)).not.toBe(b);
  });

  it('names files chronologically and deletes the oldest beyond keep', async () => {
    expect(historyFileName(new Date('2026-03-04T05:06:07.890Z'), 42)).toBe('20260304T050607Z-00042.result.json');
    const h = join(dir, 'h');
    await mkdir(h);
    for (const n of ['20260101T000000Z-00001', '20260101T000000Z-00002', '20260102T000000Z-00003']) {
      await writeFile(join(h, `${n}.result.json`), '{}');
    }
    await writeFile(join(h, 'notes.txt'), 'keep me');
    expect(await rotateHistory(h, 2)).toEqual(['20260101T000000Z-00001.result.json']);
    expect(await rotateHistory(h, 0)).toEqual([]);
    expect((await readdir(h)).sort()).toEqual(['20260101T000000Z-00002.result.json', '20260102T000000Z-00003.result.json', 'notes.txt']);
  });
});
