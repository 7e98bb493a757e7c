import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../../src/core/errors.js';
import { writeTinyModel } from '../../../src/engine/fixtures/tiny-model.js';
import { loadTokenizer } from '../../../src/engine/tokenizer.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'sway-tok-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = path.join(root, 'base');
writeTinyModel(dir, { family: 'qwen2', seed: 1 });

describe('fixture tokenizer', () => {
  const tok = loadTokenizer(dir);
  it('round-trips text exactly, including bytes outside the corpus', () => {
    for (const text of ['The capital of France is Paris', 'Hello  world\n', 'héllo 🙂 naïve', '  leading spaces', '']) {
      const ids = tok.encode(text, { addSpecialTokens: false });
      expect(tok.decode(ids)).toBe(text);
    }
  });
  it('uses learned merges and atomic special tokens', () => {
    const ids = tok.encode(' Paris', { addSpecialTokens: false });
    expect(ids.length).toBe(1);
    expect(ids[0]!).toBeGreaterThanOrEqual(256);
    const special = tok.encode('<|im_start|>user', { addSpecialTokens: false });
    expect(special[0]).toBe(tok.tokenToId('<|im_start|>'));
    expect(tok.decode(special, { skipSpecialTokens: true })).toBe('user');
  });
  it('reads special tokens and BOS policy from tokenizer_config.json', () => {
    expect(tok.bosTokenId).toBeNull();
    expect(tok.addsBos).toBe(false);
    expect(tok.eosTokenIds).toEqual([tok.tokenToId('<|im_end|>')]);
    expect(tok.padTokenId).toBe(tok.tokenToId('<|endoftext|>'));
    expect(tok.vocabSize).toBe(256 + 480 + 3);
    expect(tok.tokenText(tok.encode(' blue', { addSpecialTokens: false })[0]!)).toBe(' blue');
  });
  it('renders the ChatML template', () => {
    expect(tok.hasChatTemplate()).toBe(true);
    const text = tok.applyChatTemplate([{ role: 'user', content: 'Hi there' }], { addGenerationPrompt: true });
    expect(text).toBe('<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n');
    expect(tok.applyChatTemplate([{ role: 'user', content: 'x' }])).toBe('<|im_start|>user\nx<|im_end|>\n');
  });
});

describe('tokenizer config variants', () => {
  it('adds BOS when add_bos_token is true, picks a named template, prefers chat_template.jinja', () => {
    const d = path.join(root, 'variant');
    writeTinyModel(d, { family: 'llama', seed: 2 });
    const cfgFile = path.join(d, 'tokenizer_config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    cfg.bos_token = { content: '<|endoftext|>', special: true };
    cfg.add_bos_token = true;
    cfg.chat_template = [
      { name: 'default', template: '{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}' },
      { name: 'tool_use', template: 'tools' },
    ];
    writeFileSync(cfgFile, JSON.stringify(cfg));
    const tok = loadTokenizer(d);
    const bos = tok.tokenToId('<|endoftext|>')!;
    expect(tok.bosTokenId).toBe(bos);
    expect(tok.addsBos).toBe(true);
    expect(tok.encode('hot')[0]).toBe(bos);
    expect(tok.encode('hot', { addSpecialTokens: false })[0]).not.toBe(bos);
    expect(tok.applyChatTemplate([{ role: 'user', content: 'a' }])).toBe('<|endoftext|>[user]a');
    expect(loadTokenizer(d, { chatTemplateName: 'tool_use' }).applyChatTemplate([])).toBe('tools');
    expect(() => loadTokenizer(d, { chatTemplateName: 'nope' })).toThrow(/no template named 'nope'.*default, tool_use/);
    writeFileSync(path.join(d, 'chat_template.jinja'), 'J:{{ messages[0].content }}');
    expect(loadTokenizer(d).applyChatTemplate([{ role: 'user', content: 'q' }])).toBe('J:q');
  });
  it('renders tools and documents as none, as transformers does (Llama 3.1-style guards)', () => {
    const d = path.join(root, 'toolguard');
    writeTinyModel(d, { family: 'llama' });
    writeFileSync(
      path.join(d, 'chat_template.jinja'),
      '{%- if tools is not none %}TOOLS {{ tools | tojson }}{% endif %}{%- if documents is not none %}DOCS{% endif %}' +
        "{% for m in messages %}{{ m['role'] }}:{{ m['content'] }};{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}",
    );
    const tok = loadTokenizer(d);
    expect(tok.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true })).toBe('user:hi;assistant:');
  });
  it('a template that raises names its origin', () => {
    const d = path.join(root, 'raises');
    writeTinyModel(d, { family: 'llama' });
    writeFileSync(path.join(d, 'chat_template.jinja'), "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}ok");
    const tok = loadTokenizer(d);
    expect(tok.applyChatTemplate([{ role: 'user', content: 'x' }])).toBe('ok');
    expect(() => tok.applyChatTemplate([{ role: 'system', content: 'x' }])).toThrow(/chat_template\.jinja: rendering the chat template failed \(System role not supported\)/);
  });
  it('errors name the file', () => {
    const d = path.join(root, 'broken');
    writeTinyModel(d, { family: 'llama' });
    writeFileSync(path.join(d, 'tokenizer.json'), '{oops');
    expect(() => loadTokenizer(d)).toThrow(ModelError);
    expect(() => loadTokenizer(d)).toThrow(path.join(d, 'tokenizer.json'));
    rmSync(path.join(d, 'tokenizer.json'));
    expect(() => loadTokenizer(d)).toThrow(/tokenizer\.json not found/);
  });
  it('reports a missing chat template when asked to render', () => {
    const d = path.join(root, 'nochat');
    writeTinyModel(d, { family: 'llama' });
    const cfgFile = path.join(d, 'tokenizer_config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    delete cfg.chat_template;
    writeFileSync(cfgFile, JSON.stringify(cfg));
    const tok = loadTokenizer(d);
    expect(tok.hasChatTemplate()).toBe(false);
    expect(() => tok.applyChatTemplate([])).toThrow(/no chat template/);
  });
});
