/**
 * Tokenizer + chat template from a HF model directory: tokenizer.json through
 * @huggingface/tokenizers, special tokens and the chat template from
 * tokenizer_config.json (or chat_template.jinja), rendered with @huggingface/jinja.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { ModelError } from '../core/errors.js';
import type { Tokenizer } from './types.js';

type Json = Record<string, unknown>;

function tokenString(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json)['content'] === 'string') return (v as Json)['content'] as string;
  return null;
}

function readJsonFile(path: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw new ModelError(`${path}: not a valid JSON object (${(err as Error).message})`, 'SWAY_TOKENIZER_INVALID');
  }
  if (!v || typeof v !== 'object') throw new ModelError(`${path}: not a valid JSON object`, 'SWAY_TOKENIZER_INVALID');
  return v as Json;
}

function pickChatTemplate(cfg: Json, dir: string): string | null {
  const file = join(dir, 'chat_template.jinja');
  if (existsSync(file)) return readFileSync(file, 'utf8');
  const t = cfg['chat_template'];
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t as { name?: string; template?: string }[];
    return (named.find((x) => x.name === 'default') ?? named[0])?.template ?? null;
  }
  return null;
}

class HfBackedTokenizer implements Tokenizer {
  readonly bosTokenId: number | null;
  readonly eosTokenIds: number[];
  readonly padTokenId: number | null;
  readonly addsBos: boolean;
  readonly vocabSize: number;
  private readonly template: Template | null;
  private readonly bosToken: string | null;
  private readonly eosToken: string | null;

  constructor(
    private readonly tok: HfTokenizer,
    cfg: Json,
    chatTemplate: string | null,
    private readonly dir: string,
    extraEos: number[],
  ) {
    this.bosToken = tokenString(cfg['bos_token']);
    this.eosToken = tokenString(cfg['eos_token']);
    const idOf = (s: string | null): number | null => (s === null ? null : (tok.token_to_id(s) ?? null));
    this.bosTokenId = idOf(this.bosToken);
    const eos = idOf(this.eosToken);
    this.eosTokenIds = [...new Set([...(eos === null ? [] : [eos]), ...extraEos])];
    this.padTokenId = idOf(tokenString(cfg['pad_token'])) ?? eos;
    const probe = tok.encode('a', { add_special_tokens: true }).ids;
    this.addsBos = this.bosTokenId !== null && probe[0] === this.bosTokenId;
    this.vocabSize = tok.get_vocab(true).size ?? Object.keys(tok.get_vocab(true)).length;
    try {
      this.template = chatTemplate ? new Template(chatTemplate) : null;
    } catch (err) {
      throw new ModelError(`${dir}: chat template does not parse (${(err as Error).message})`, 'SWAY_TOKENIZER_INVALID');
    }
  }

  encode(text: string, options?: { addSpecialTokens?: boolean }): number[] {
    return this.tok.encode(text, { add_special_tokens: options?.addSpecialTokens ?? true }).ids;
  }

  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string {
    // @huggingface/tokenizers throws on an empty list; transformers returns ''.
    if (ids.length === 0) return '';
    return this.tok.decode([...ids], { skip_special_tokens: options?.skipSpecialTokens ?? false });
  }

  tokenText(id: number): string {
    return this.tok.decode([id], { skip_special_tokens: false });
  }

  hasChatTemplate(): boolean {
    return this.template !== null;
  }

  applyChatTemplate(messages: readonly { role: string; content: string }[], options?: { addGenerationPrompt?: boolean }): string {
    if (!this.template) throw new ModelError(`${this.dir}: the tokenizer has no chat template`, 'SWAY_TOKENIZER_INVALID');
    return this.template.render({
      messages,
      add_generation_prompt: options?.addGenerationPrompt ?? false,
      // transformers passes these as None; left undefined, `tools is not none` would be true.
      tools: null,
      documents: null,
      bos_token: this.bosToken ?? '',
      eos_token: this.eosToken ?? '',
    });
  }
}

/** Loads the tokenizer of a model (or adapter) directory. */
export function loadTokenizer(dir: string, extraEos: number[] = []): Tokenizer {
  const tokPath = join(dir, 'tokenizer.json');
  if (!existsSync(tokPath)) {
    throw new ModelError(`${dir}: no tokenizer.json (sway needs the fast-tokenizer file next to config.json)`, 'SWAY_TOKENIZER_INVALID');
  }
  const tokJson = readJsonFile(tokPath);
  const model = tokJson['model'] as Json | undefined;
  const vocab = model?.['vocab'];
  const vocabEntries = Array.isArray(vocab) ? vocab.length : vocab && typeof vocab === 'object' ? Object.keys(vocab).length : null;
  if (vocabEntries === 0) {
    throw new ModelError(`${tokPath}: model.vocab is empty; the tokenizer cannot encode anything (is this the model's real tokenizer.json?)`, 'SWAY_TOKENIZER_INVALID');
  }
  const cfgPath = join(dir, 'tokenizer_config.json');
  const cfg = existsSync(cfgPath) ? readJsonFile(cfgPath) : {};
  let tok: HfTokenizer;
  try {
    tok = new HfTokenizer(tokJson, cfg);
  } catch (err) {
    throw new ModelError(`${tokPath}: cannot build the tokenizer (${(err as Error).message})`, 'SWAY_TOKENIZER_INVALID');
  }
  return new HfBackedTokenizer(tok, cfg, pickChatTemplate(cfg, dir), dir, extraEos);
}
