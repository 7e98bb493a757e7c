/**
 * The fixture tokenizer through @huggingface/tokenizers against an independent Python
 * GPT-2 byte-level BPE encoder (golden/bpe_python.py) run on the same tokenizer.json:
 * pre-tokenizer splits (contractions, digits, runs of spaces, CRLF), multi-byte UTF-8,
 * merge priority and atomic special tokens.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../../../src/engine/fixtures/tiny-model.js';
import { loadTokenizer } from '../../../src/engine/tokenizer.js';

const golden = JSON.parse(readFileSync(path.join(import.meta.dirname, 'golden', 'tokenizer-golden.json'), 'utf8')) as {
  texts: { text: string; ids: number[] }[];
};

const root = mkdtempSync(path.join(os.tmpdir(), 'sway-tokgold-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
writeTinyModel(path.join(root, 'base'), { family: 'llama', seed: 0 });
const tok = loadTokenizer(path.join(root, 'base'));

describe('fixture tokenizer vs an independent byte-level BPE encoder', () => {
  for (const { text, ids } of golden.texts) {
    it(JSON.stringify(text), () => {
      expect(tok.encode(text, { addSpecialTokens: false })).toEqual(ids);
      expect(tok.decode(ids)).toBe(text);
    });
  }

  it('merges at least some pieces (the golden ids are not just bytes)', () => {
    const all = golden.texts.flatMap((t) => t.ids);
    expect(all.filter((id) => id >= 256 && id < tok.vocabSize - 3).length).toBeGreaterThan(10);
    expect(golden.texts[0]!.ids.length).toBeLessThan(golden.texts[0]!.text.length / 3);
  });
});
