/**
 * Item progress inside long probes: the runner turns each probe's RunContext.progress into
 * `item` events between that probe's `start` and `done` (counts only ever grow and end at
 * the total), the report is the same with or without a listener, and the terminal status
 * line shows the counts, at most every 100 ms, and nothing off a terminal or with --quiet.
 */
import { describe, expect, it } from 'vitest';
import { progressLine, progressReporter } from '../../src/cli/progress.js';
import { toJson } from '../../src/report/json.js';
import { executeSpec, loadSpecText } from '../../src/suite/execute.js';
import type { ProgressEvent } from '../../src/suite/runner.js';
import { tinyFixtures } from '../support/fixtures.js';

const fx = tinyFixtures('llama');
const SPEC = [
  'version: 1',
  'models:',
  `  base: {kind: hf, base: ${JSON.stringify(fx.base)}}`,
  `  ft: {kind: hf, base: ${JSON.stringify(fx.base)}, adapter: ${JSON.stringify(fx.trained)}}`,
  'suite:',
  '  - {name: nulls, kind: null_adapter, runs: 2, cache: false}',
  '  - {name: ppl, kind: external_perplexity, chunk_chars: 300, max_chunks: 3}',
  '  - {name: cal, kind: calibration_drift, items_limit: 20}',
  '  - {name: sf, kind: style_fingerprint, max_new_tokens: 8, prompts: [Once upon a time, The sky is], doc_reference: "Short words. Plain talk; always."}',
  '',
].join('\n');

function stable(json: string): unknown {
  const o = JSON.parse(json) as Record<string, unknown>;
  for (const k of ['started_at', 'finished_at', 'wall_seconds', 'backend_stats']) delete o[k];
  o['probes'] = (o['probes'] as Record<string, unknown>[]).map(({ duration_s: _d, ...p }) => p);
  return o;
}

describe('item progress inside long probes', () => {
  it('emits item counts per probe between its start and done, and changes no result', async () => {
    const events: ProgressEvent[] = [];
    const withEvents = await executeSpec(loadSpecText(SPEC, 'progress.yaml', fx.root), { onProgress: (e) => events.push(e) });
    const without = await executeSpec(loadSpecText(SPEC, 'progress.yaml', fx.root));
    expect(stable(toJson(withEvents.suite, withEvents.score))).toEqual(stable(toJson(without.suite, without.score)));
    expect(withEvents.suite.probes.map((p) => p.verdict)).not.toContain('error');

    const expected: Record<string, [number, string]> = { nulls: [3 * 2, 'runs'], ppl: [3, 'chunks'], cal: [20, 'items'], sf: [2, 'prompts'] };
    let current = -1;
    const items = new Map<string, { done: number; of: number; unit: string }[]>();
    for (const e of events) {
      if (e.type === 'start') current = e.index;
      else if (e.type === 'done') expect(e.index).toBe(current);
      else {
        expect(e.index, 'an item event belongs to the running probe').toBe(current);
        items.set(e.name, [...(items.get(e.name) ?? []), { done: e.done, of: e.of, unit: e.unit }]);
      }
    }
    for (const [name, [total, unit]] of Object.entries(expected)) {
      const seen = items.get(name) ?? [];
      expect(seen.length, `${name} reported progress`).toBeGreaterThan(0);
      expect(seen.at(-1), name).toEqual({ done: total, of: total, unit });
      for (let i = 1; i < seen.length; i++) expect(seen[i]!.done, `${name}: counts only grow`).toBeGreaterThan(seen[i - 1]!.done);
    }
    expect(items.get('nulls')!.map((s) => s.done)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('the status line shows the counts at most every 100 ms; nothing off a terminal or with --quiet', () => {
    let clock = 0;
    const out: string[] = [];
    const line = progressLine((t) => out.push(t), () => clock);
    line({ type: 'start', index: 0, total: 2, name: 'ppl', kind: 'external_perplexity' });
    clock = 50;
    line({ type: 'item', index: 0, total: 2, name: 'ppl', kind: 'external_perplexity', done: 1, of: 16, unit: 'chunks' });
    clock = 160;
    line({ type: 'item', index: 0, total: 2, name: 'ppl', kind: 'external_perplexity', done: 7, of: 16, unit: 'chunks' });
    expect(out).toHaveLength(2);
    expect(out[1]).toContain('[1/2] ppl (external_perplexity)  7/16 chunks  0.2s');
    expect(progressReporter(true)).toBeUndefined();
    if (!process.stderr.isTTY) expect(progressReporter(false)).toBeUndefined();
  });
});
