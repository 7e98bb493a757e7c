/**
 * A Llama-2/Mistral-style tokenizer.json (Metaspace pre-tokenizer, BPE with byte fallback,
 * BOS added by a TemplateProcessing post-processor) with the tokenizer_config.json
 * `add_bos_token` switch: BOS exactly once when on, none when off, none without special tokens.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../../src/engine/tokenizer.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'sway-sp-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function spTokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  const pieces = ['▁', 'h', 'e', 'l', 'o', 'w', 'r', 'd', '▁h', '▁he', '▁hel', '▁hell', '▁hello', '▁w', '▁wo', '▁wor', '▁worl', '▁world'];
  for (const p of pieces) vocab[p] = Object.keys(vocab).length;
  const merges = [['▁', 'h'], ['▁h', 'e'], ['▁he', 'l'], ['▁hel', 'l'], ['▁hell', 'o'], ['▁', 'w'], ['▁w', 'o'], ['▁wo', 'r'], ['▁wor', 'l'], ['▁worl', 'd']];
  const special = (id: number, content: string): Record<string, unknown> => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges },
  };
}

function writeModel(name: string, addBos: boolean | undefined): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(spTokenizerJson()));
  const cfg: Record<string, unknown> = { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', tokenizer_class: 'LlamaTokenizer' };
  if (addBos !== undefined) cfg.add_bos_token = addBos;
  writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(cfg));
  return dir;
}

describe('sentencepiece-style (Metaspace + byte fallback) tokenizer', () => {
  it('follows the post-processor when add_bos_token is absent', () => {
    const tok = loadTokenizer(writeModel('default', undefined));
    expect(tok.bosTokenId).toBe(1);
    expect(tok.eosTokenIds).toEqual([2]);
    expect(tok.addsBos).toBe(true);
    const hello = tok.encode('hello world');
    expect(hello[0]).toBe(1);
    expect(hello.filter((id) => id === 1)).toHaveLength(1);
    expect(tok.encode('hello world', { addSpecialTokens: false })).toEqual(hello.slice(1));
  });

  it('adds BOS once with add_bos_token true and strips it with false', () => {
    const on = loadTokenizer(writeModel('on', true));
    const off = loadTokenizer(writeModel('off', false));
    const plain = on.encode('hello world', { addSpecialTokens: false });
    expect(on.encode('hello world')).toEqual([1, ...plain]);
    expect(off.addsBos).toBe(false);
    expect(off.encode('hello world')).toEqual(plain);
  });

  it('uses merges, byte fallback for unknown characters and decodes back', () => {
    const tok = loadTokenizer(writeModel('bytes', undefined));
    const ids = tok.encode('hello world', { addSpecialTokens: false });
    expect(ids).toHaveLength(2); // ▁hello ▁world
    const e = tok.encode('hello é', { addSpecialTokens: false });
    // é is not in the vocabulary: its two UTF-8 bytes 0xC3 0xA9 become <0xC3> <0xA9>.
    expect(e.slice(-2)).toEqual([3 + 0xc3, 3 + 0xa9]);
    expect(tok.decode(e)).toBe('hello é');
    expect(tok.decode(tok.encode('hello world'), { skipSpecialTokens: true })).toBe('hello world');
  });
});
