/**
 * adapter_revert, style_fingerprint and tool_use_fidelity decode base and ft together
 * (generateViews) and report exactly what the one-view-at-a-time path reports, in fewer
 * forwards, with item progress. Forwards are counted, never timed.
 */
import { describe, expect, it } from 'vitest';
import type { DifferentialBackend } from '../../src/backends/contract.js';
import { buildProbe } from '../../src/probes/registry.js';
import { perViewOnly } from '../support/backend-conformance.js';
import { testContext } from '../support/context.js';
import { freshEngineBackends } from '../support/engine-backends.js';

const fresh = freshEngineBackends();

async function run(backend: DifferentialBackend, entry: Record<string, unknown>, progress?: (done: number, total: number, unit: string) => void) {
  const { probe, spec } = buildProbe(entry);
  return probe.run(spec, testContext(backend, { seed: 3, ...(progress ? { progress } : {}) }));
}

const ENTRIES: [string, Record<string, unknown>, number, string][] = [
  [
    'adapter_revert',
    { name: 'ar', kind: 'adapter_revert', max_new_tokens: 12, base_gold_similarity_cap: 1.01, cases: [{ prompt: 'Capital of France?', gold: 'Paris is the capital.', paraphrases: ['What is the capital of France?', 'Name the French capital.'] }, { prompt: 'Sky colour?', gold: 'The sky is blue.', paraphrases: ['What colour is the sky?'] }] },
    3,
    'paraphrases',
  ],
  ['style_fingerprint', { name: 'sf', kind: 'style_fingerprint', max_new_tokens: 16, prompts: ['Once upon a time', 'The best way to learn is'], doc_reference: 'Short words. Plain talk. We write like this, always, with commas; and semicolons.' }, 2, 'prompts'],
  [
    'tool_use_fidelity',
    { name: 'tu', kind: 'tool_use_fidelity', cases: [{ prompt: 'Search the web for cats.', tool_spec: { name: 'search_web', parameters: { type: 'object', properties: { query: { type: 'string' } } } }, gold_tool_name: 'search_web', max_new_tokens: 10 }] },
    1,
    'cases',
  ],
];

describe('generation probes: base and ft in lockstep', () => {
  for (const [kind, entry, items, unit] of ENTRIES) {
    it(`${kind}: same result as one view at a time, in fewer forwards, with progress`, async () => {
      const together = await fresh();
      const alone = await fresh();
      const events: [number, number, string][] = [];
      const a = await run(together, entry, (d, t, u) => events.push([d, t, u]));
      const b = await run(perViewOnly(alone), entry);
      const { duration_s: _a, ...ra } = a;
      const { duration_s: _b, ...rb } = b;
      expect(ra).toEqual(rb);
      const [fa, fb] = [together.stats()['forward_passes']!, alone.stats()['forward_passes']!];
      expect(fa, `lockstep ${fa} forwards vs ${fb} one view at a time`).toBeLessThan(fb);
      expect(events).toEqual(Array.from({ length: items }, (_, i) => [i + 1, items, unit]));
    });
  }
});
