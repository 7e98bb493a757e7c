import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrace, summariseTrace } from '../../src/report/trace-summary.js';
import { tinyFixtures } from '../support/fixtures.js';
import { swayIn } from '../support/cli.js';

describe('sway run --trace / sway trace', () => {
  it('records one event per forward with its probe and views, and summarises them', async () => {
    const fx = tinyFixtures('llama');
    const dir = mkdtempSync(join(tmpdir(), 'sway-trace-'));
    const spec = join(dir, 'sway.yaml');
    writeFileSync(
      spec,
      `version: 1\nmodels:\n  base: {kind: hf, base: ${JSON.stringify(fx.base)}}\n  ft: {kind: hf, base: ${JSON.stringify(fx.base)}, adapter: ${JSON.stringify(fx.trained)}}\nsuite:\n  - {name: dk, kind: delta_kl, prompts: ["The sky is", "Fire is"]}\n  - {name: dk2, kind: delta_kl, prompts: ["The sky is"]}\n`,
    );
    const trace = join(dir, 'run.trace.jsonl');
    const r = await swayIn(['run', spec, '--quiet', '--trace', trace]);
    expect(r.code, r.stderr).toBe(0);
    const events = parseTrace(readFileSync(trace, 'utf8'), trace);
    const dk = events.filter((e) => e.probe === 'dk');
    // base and ft of both prompts in one batched forward
    expect(dk).toEqual([expect.objectContaining({ op: 'forward', view: 'base+ft', rows: 4, cache_hit: false })]);
    // Each event carries the process's resident memory right after it.
    for (const e of events) expect(e.rss_mb).toBeGreaterThan(10);
    // the second probe's prompt is answered from the engine's cache
    expect(events.filter((e) => e.probe === 'dk2')).toEqual([expect.objectContaining({ op: 'cache', view: 'base+ft', rows: 2, cache_hit: true })]);
    const s = await swayIn(['trace', trace]);
    expect(s.code, s.stderr).toBe(0);
    // + the backend's preflight forward before the first probe
    expect(events).toHaveLength(3);
    expect(s.stdout).toMatch(/^3 events, \d+ ms in the model; largest RSS after an event \d+ MB \(/);
    expect(s.stdout).toMatch(/\(outside probes\)\s+base\+ft\s+1\s/);
    expect(s.stdout).toMatch(/dk\s+base\+ft\s+1\s+0\s+4\s+\d+\s+0\s/);
    expect(s.stdout).toContain('slowest 3:');
  });

  it('a malformed or missing trace is exit 2 naming the file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sway-trace-bad-'));
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"probe":null,"op":"forward","view":"base","rows":1,"tokens":3,"ms":1,"cache_hit":false}\n{"op":"forward"}\n');
    const r = await swayIn(['trace', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}: line 2 is not a trace event`);
    const missing = await swayIn(['trace', join(dir, 'nope.jsonl')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.jsonl: cannot read the trace (ENOENT)');
    expect(summariseTrace([])).toContain('trace is empty');
    // Traces written before events carried rss_mb still summarise, with no memory column values.
    const old = summariseTrace(parseTrace('{"probe":"p","op":"forward","view":"base","rows":1,"tokens":3,"ms":1,"cache_hit":false}\n', 'old.jsonl'));
    expect(old).toMatch(/^1 events, 1 ms in the model\n/);
    expect(old).toMatch(/p\s+base\s+1\s+0\s+1\s+3\s+0\s+1\s+100\.0%\s+—/);
  });
});
