/** The runner's entry to a .dlm document: sections, doc text, base model and trained adapter. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { DlmCompatError } from '../../core/errors.js';
import type { Section } from '../../core/sections.js';
import { parseDlm } from './parse.js';

export interface DlmSource {
  path: string;
  dlmId: string | null;
  sections: Section[];
  /** Section contents joined with a blank line. */
  docText: string;
  /** HF id (`hf:` prefix stripped); a dlm registry key is returned unchanged. */
  baseModel?: string;
  /** Current adapter directory from the dlm store, when trained. */
  adapterPath?: string;
  /** `<DLM_HOME>/store/<dlm_id>` when it exists (training logs live under logs/). */
  storePath?: string;
}

export function dlmHome(env: NodeJS.ProcessEnv = process.env): string {
  const h = env.DLM_HOME;
  return h && h.trim() ? resolve(h.replace(/^~(?=$|\/)/, homedir())) : join(homedir(), '.dlm');
}

export function loadDlmSource(path: string, env: NodeJS.ProcessEnv = process.env): DlmSource {
  const abs = resolve(path);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new DlmCompatError(`${path}: cannot read .dlm document (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}) — check the path (dlm_source in sway.yaml, or the document given to autogen)`);
  }
  const doc = parseDlm(text, path);
  const out: DlmSource = {
    path: abs,
    dlmId: doc.dlmId,
    sections: doc.sections,
    docText: doc.sections.map((s) => s.content).join('\n\n'),
  };
  if (doc.baseModel) out.baseModel = doc.baseModel.startsWith('hf:') ? doc.baseModel.slice(3) : doc.baseModel;
  if (doc.dlmId) {
    const store = join(dlmHome(env), 'store', doc.dlmId);
    if (existsSync(store)) out.storePath = store;
    const pointer = join(store, 'adapter', 'current.txt');
    if (existsSync(pointer)) {
      const rel = readFileSync(pointer, 'utf8').trim();
      const dir = rel ? (isAbsolute(rel) ? rel : join(store, rel)) : '';
      if (dir && existsSync(dir) && statSync(dir).isDirectory()) out.adapterPath = dir;
    }
  }
  return out;
}
