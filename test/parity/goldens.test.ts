/**
 * sway's engine against transformers + PEFT goldens (made by parity/goldens.py, committed
 * under test/fixtures/parity). No Python at test time. What each fixture is expected to do
 * lives in expectations.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SwayError } from '../../src/core/errors.js';
import { loadTokenizer } from '../../src/engine/tokenizer.js';
import { EXPECTATIONS } from './expectations.js';
import { logprobGolden, manifest, measure, modelDir, tokenizerGolden, VIEW_NAMES, worstDelta, type Measurement } from './goldens.js';
import { renderTable, writeTable, type TableRow } from './table.js';

const TOL = 1e-4;
const fixtures = manifest().models.flatMap((m) => m.adapters.map((a) => `${m.name}/${a}`));
const rows: TableRow[] = [];

async function attempt(model: string, adapter: string): Promise<{ m: Measurement | null; err: unknown }> {
  try {
    return { m: await measure(model, adapter), err: null };
  } catch (err) {
    return { m: null, err };
  }
}

describe('parity table covers every fixture', () => {
  it('one expectation per (model, adapter) in the manifest, and no others', () => {
    const listed = EXPECTATIONS.map((e) => e.fixture);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual([...fixtures].sort());
  });
});

describe('logprobs agree with transformers + PEFT', () => {
  for (const exp of EXPECTATIONS) {
    const [model, adapter] = exp.fixture.split('/') as [string, string];
    it(`${exp.fixture}: ${exp.status}`, async () => {
      const golden = logprobGolden(model, adapter);
      const { m, err } = await attempt(model, adapter);
      rows.push({ expectation: exp, modelType: golden.model_type, measurement: m, error: err ? (err as Error).message : null });
      if (exp.status === 'supported') {
        if (err) throw err;
        expect(m!.idMismatches, 'token ids differ from transformers').toEqual([]);
        for (const view of VIEW_NAMES) {
          expect(m!.views[view]!.nextToken, `${view}: next-token logprobs`).toBeLessThanOrEqual(TOL);
          expect(m!.views[view]!.completion, `${view}: completion sums`).toBeLessThanOrEqual(TOL);
        }
        for (const name of exp.unusedSaved ?? []) expect(m!.warnings.join('\n'), `names ${name} as unused`).toContain(name);
      } else if (exp.status === 'refused') {
        expect(err, 'expected a refusal').toBeInstanceOf(SwayError);
        expect((err as Error).message).toMatch(exp.error!);
      } else if (exp.error) {
        expect(err, 'the known failure no longer happens: re-measure and update the row').toBeInstanceOf(Error);
        expect((err as Error).message).toMatch(exp.error);
      } else {
        if (err) throw err;
        expect(worstDelta(m!), 'now within tolerance: flip the row to supported').toBeGreaterThan(TOL);
      }
    });
  }
});

describe('tokenizers agree with transformers', () => {
  for (const { name } of manifest().models) {
    it(`${name}: token ids and rendered chat templates`, () => {
      const golden = tokenizerGolden(name);
      const tok = loadTokenizer(modelDir(name));
      for (const e of golden.encode) {
        expect(tok.encode(e.text, { addSpecialTokens: true }), JSON.stringify(e.text)).toEqual(e.ids);
        expect(tok.encode(e.text, { addSpecialTokens: false }), `${JSON.stringify(e.text)} without special tokens`).toEqual(e.ids_no_special);
      }
      expect(tok.applyChatTemplate(golden.chat.messages, { addGenerationPrompt: false })).toBe(golden.chat.rendered);
      expect(tok.applyChatTemplate(golden.chat.messages, { addGenerationPrompt: true })).toBe(golden.chat.rendered_generation_prompt);
    });
  }
});

afterAll(() => {
  const target = process.env['SWAY_PARITY_TABLE'];
  if (!target || rows.length !== EXPECTATIONS.length) return;
  const order = new Map(EXPECTATIONS.map((e, i) => [e.fixture, i]));
  rows.sort((a, b) => (order.get(a.expectation.fixture) ?? 0) - (order.get(b.expectation.fixture) ?? 0));
  writeTable(target, renderTable(rows, TOL));
});
