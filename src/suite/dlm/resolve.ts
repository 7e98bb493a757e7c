/**
 * From a .dlm path to what sway needs: sections and document text for the bridge probes,
 * the base model (front matter `base_model`, `hf:` prefix stripped) and the current
 * adapter from the dlm store ($DLM_HOME/store/<dlm_id>/adapter/current.txt).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { SwayError } from '../../core/errors.js';
import { decodeUtf8Strict } from '../../core/utf8.js';
import type { Section } from '../../core/sections.js';
import { parseDlm } from './parse.js';

export interface DlmHandle {
  path: string;
  dlmId: string | null;
  baseModel: string | null;
  adapterPath: string | null;
  sections: Section[];
  docText: string;
}

export function dlmStoreRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['DLM_HOME'] || join(homedir(), '.dlm'), 'store');
}

export function resolveDlm(path: string, env: NodeJS.ProcessEnv = process.env): DlmHandle {
  const abs = resolve(path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(abs);
  } catch {
    throw new SwayError(`${abs}: cannot read the .dlm document; check dlm_source (relative paths resolve against the spec file)`, 'SWAY_DLM', 2);
  }
  const text = decodeUtf8Strict(bytes, abs, (m) => new SwayError(m, 'SWAY_DLM', 2));
  const doc = parseDlm(text, abs);
  const dlmId = typeof doc.frontMatter['dlm_id'] === 'string' ? doc.frontMatter['dlm_id'] : null;
  const rawBase = typeof doc.frontMatter['base_model'] === 'string' ? doc.frontMatter['base_model'] : null;
  const baseModel = rawBase?.startsWith('hf:') ? rawBase.slice(3) : rawBase;
  let adapterPath: string | null = null;
  if (dlmId) {
    const store = join(dlmStoreRoot(env), dlmId);
    const pointer = join(store, 'adapter', 'current.txt');
    if (existsSync(pointer)) {
      const target = resolve(store, readFileSync(pointer, 'utf8').trim());
      if (existsSync(target)) adapterPath = target;
    }
  }
  return { path: abs, dlmId, baseModel, adapterPath, sections: doc.sections, docText: doc.sections.map((s) => s.content).join('\n\n') };
}
