// prompt_collapse's prefix is the reference's: the tokenizer's pad token repeated, cut to
// L tokens and decoded with special tokens kept (shared/spec/probes-calibration.md §prompt_collapse).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenizerAccess } from '../../src/backends/contract.js';
import { createEngineBackend, type EngineBackend } from '../../src/backends/engine.js';
import { stuffing, stuffingFallback } from '../../src/probes/adherence/prompt-collapse.js';
import { buildProbe } from '../../src/probes/registry.js';
import type { RunContext } from '../../src/probes/types.js';
import { tinyFixtures } from '../support/fixtures.js';

let backend: EngineBackend;
beforeAll(async () => {
  const fx = tinyFixtures();
  backend = await createEngineBackend({ base: fx.base, adapter: fx.trained });
});
afterAll(async () => backend?.close());

describe('prompt_collapse stuffing', () => {
  it('is the pad token, as the reference builds it on the same tokenizer', () => {
    const tok = backend.tokenizer();
    expect(tok.padToken?.()).toBe('<|endoftext|>');
    // Printed by dlm_sway 0.1.0 `_stuffing(L, tokenizer=AutoTokenizer.from_pretrained(<fixture base>))`.
    expect(stuffing(3, tok)).toBe('<|endoftext|><|endoftext|><|endoftext|>\n\n');
    expect(stuffing(8, tok)).toBe(`${'<|endoftext|>'.repeat(8)}\n\n`);
    expect(tok.encode(stuffing(64, tok).trimEnd())).toHaveLength(64);
    expect(stuffingFallback(tok)).toBeNull();
  });

  it('a blank pad becomes " "; a tokenizer without the pad-token members repeats " the"', () => {
    // One token per character, so the cut to L tokens is visible in the text.
    const chars = (text: string) => Array.from(text, (c) => c.codePointAt(0)!);
    const fake = (pad: string | null, full = true): TokenizerAccess => ({
      hasChatTemplate: () => false,
      applyChatTemplate: () => '',
      encode: chars,
      decode: () => 'SKIPPED',
      ...(full ? { padToken: () => pad, decodeKeepingSpecialTokens: (ids: readonly number[]) => String.fromCodePoint(...ids) } : {}),
    });
    expect(stuffing(4, fake('<pad>'))).toBe('<pad\n\n');
    // A blank (Python's str.isspace) or missing pad token becomes ' '.
    expect(stuffing(4, fake(null))).toBe('    \n\n');
    expect(stuffing(4, fake('\x85'))).toBe('    \n\n');
    // A tokenizer without the pad-token members: ' the', said in evidence.
    expect(stuffing(4, fake(null, false))).toBe('SKIPPED\n\n');
    expect(stuffingFallback(fake(null, false))).toContain("' the'");
  });

  it('runs with the context fitting on the 512-position model and reports no fallback', async () => {
    const ctx: RunContext = { backend, seed: 0, topK: 16, sections: null, docText: null, specDir: '/', nullStats: {}, nullStatsByRank: {}, downstreamKinds: [] };
    const { probe, spec } = buildProbe({ name: 'pc', kind: 'prompt_collapse', prompts: ['The capital of France is'] });
    const r = await probe.run(spec, ctx);
    expect(r.verdict).not.toBe('error');
    expect(r.evidence['context_lengths']).toEqual([0, 256, 495]);
    expect(r.evidence).not.toHaveProperty('stuffing_fallback');
  });
});
