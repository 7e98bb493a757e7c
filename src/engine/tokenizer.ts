/**
 * The engine's Tokenizer: tokenizer.json through @huggingface/tokenizers, special tokens
 * and BOS policy from tokenizer_config.json, chat templates (a string, a list of named
 * templates, or chat_template.jinja) rendered with @huggingface/jinja.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { ModelError } from '../core/errors.js';
import type { Tokenizer } from './types.js';

type Json = Record<string, unknown>;

function tokErr(message: string): ModelError {
  return new ModelError(message, 'SWAY_TOKENIZER_INVALID');
}

function readJsonObject(file: string, required: boolean): Json | null {
  if (!existsSync(file)) {
    if (required) throw tokErr(`${file} not found; sway needs a fast-tokenizer tokenizer.json next to config.json (save it with transformers' save_pretrained)`);
    return null;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw tokErr(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw tokErr(`${file}: expected a JSON object`);
  return raw as Json;
}

/** A special-token entry may be a string or an AddedToken dict `{content: …}`. */
function tokenContent(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return null;
}

export interface ChatTemplateSource {
  template: string;
  /** Where it came from, for error messages. */
  origin: string;
}

/** Finds the chat template: chat_template.jinja wins, then tokenizer_config.json's `chat_template`. */
export function findChatTemplate(dir: string, config: Json | null, name = 'default'): ChatTemplateSource | null {
  const jinjaFile = path.join(dir, 'chat_template.jinja');
  if (existsSync(jinjaFile)) return { template: readFileSync(jinjaFile, 'utf8'), origin: jinjaFile };
  const cfgFile = path.join(dir, 'tokenizer_config.json');
  const ct = config?.chat_template;
  if (ct === undefined || ct === null) return null;
  if (typeof ct === 'string') return { template: ct, origin: `${cfgFile} key 'chat_template'` };
  if (Array.isArray(ct)) {
    const entry = ct.find((e) => (e as { name?: unknown })?.name === name) as { template?: unknown } | undefined;
    if (!entry || typeof entry.template !== 'string') {
      const names = ct.map((e) => String((e as { name?: unknown })?.name)).join(', ');
      throw tokErr(`${cfgFile}: key 'chat_template' has no template named '${name}' (available: ${names})`);
    }
    return { template: entry.template, origin: `${cfgFile} key 'chat_template' (${name})` };
  }
  throw tokErr(`${cfgFile}: key 'chat_template' must be a string or a list of {name, template}`);
}

export class EngineTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenIds: number[];
  readonly padTokenId: number | null;
  readonly addsBos: boolean;
  private readonly hf: HfTokenizer;
  private readonly bosPolicy: boolean | null;
  private readonly chat: ChatTemplateSource | null;
  private compiled: Template | null = null;
  private readonly specialStrings: Record<string, string>;
  private readonly file: string;

  constructor(dir: string, options: { chatTemplateName?: string } = {}) {
    this.file = path.join(dir, 'tokenizer.json');
    const tokJson = readJsonObject(this.file, true)!;
    const config = readJsonObject(path.join(dir, 'tokenizer_config.json'), false);
    try {
      this.hf = new HfTokenizer(tokJson, config ?? {});
    } catch (err) {
      throw tokErr(`${this.file}: cannot build the tokenizer (${(err as Error).message})`);
    }
    const idOf = (key: string): number | null => {
      const content = tokenContent(config?.[key]);
      if (content === null) return null;
      const id = this.hf.token_to_id(content);
      return id === undefined ? null : id;
    };
    this.specialStrings = {};
    for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) {
      const c = tokenContent(config?.[key]);
      if (c !== null) this.specialStrings[key] = c;
    }
    this.bosTokenId = idOf('bos_token');
    const eos = idOf('eos_token');
    this.eosTokenIds = eos === null ? [] : [eos];
    this.padTokenId = idOf('pad_token');
    let maxId = -1;
    for (const id of this.hf.get_vocab(true).values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;
    const policy = config?.add_bos_token;
    this.bosPolicy = typeof policy === 'boolean' && this.bosTokenId !== null ? policy : null;
    this.chat = findChatTemplate(dir, config, options.chatTemplateName);
    const probe = this.encode('a', { addSpecialTokens: true });
    this.addsBos = this.bosTokenId !== null && probe[0] === this.bosTokenId;
  }

  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    const add = options.addSpecialTokens ?? true;
    const ids = this.hf.encode(text, { add_special_tokens: add }).ids;
    if (!add || this.bosPolicy === null || this.bosTokenId === null) return ids;
    // tokenizer_config.add_bos_token overrides the post-processor, as transformers' fast Llama tokenizer does.
    const plain = this.hf.encode(text, { add_special_tokens: false }).ids;
    const addedBos = ids.length > plain.length && ids[0] === this.bosTokenId;
    if (this.bosPolicy && !addedBos) return [this.bosTokenId, ...ids];
    if (!this.bosPolicy && addedBos) return ids.slice(1);
    return ids;
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return '';
    return this.hf.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false, clean_up_tokenization_spaces: false });
  }

  tokenText(id: number): string {
    return this.decode([id]);
  }

  /** Token id of an exact token string (e.g. a special token), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  hasChatTemplate(): boolean {
    return this.chat !== null;
  }

  applyChatTemplate(messages: readonly { role: string; content: string }[], options: { addGenerationPrompt?: boolean } = {}): string {
    if (!this.chat) {
      throw tokErr(`${path.dirname(this.file)}: the tokenizer has no chat template (tokenizer_config.json 'chat_template' or chat_template.jinja); set chat_template: false or use raw prompts`);
    }
    try {
      this.compiled ??= new Template(this.chat.template);
    } catch (err) {
      throw tokErr(`${this.chat.origin}: chat template does not parse (${(err as Error).message})`);
    }
    try {
      return this.compiled.render({
        ...this.specialStrings,
        // transformers passes these as None; an undefined value would make `tools is not none` true.
        tools: null,
        documents: null,
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        add_generation_prompt: options.addGenerationPrompt ?? false,
      });
    } catch (err) {
      throw tokErr(`${this.chat.origin}: rendering the chat template failed (${(err as Error).message})`);
    }
  }
}

/** Loads the tokenizer of a model directory. */
export function loadTokenizer(dir: string, options: { chatTemplateName?: string } = {}): EngineTokenizer {
  return new EngineTokenizer(dir, options);
}
