/**
 * Sections and document text for the bridge probes from a `dlm_source` file. The .dlm
 * parser lives in suite/dlm/ when present; without it a spec naming a source is an error.
 */
import { readFileSync } from 'node:fs';
import { SpecValidationError } from '../core/errors.js';
import type { Section } from '../core/sections.js';

export interface DlmContext {
  sections: Section[];
  docText: string;
}

export function loadDlmContext(path: string): DlmContext {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new SpecValidationError(`dlm_source ${path} cannot be read; fix the path (relative paths resolve against the spec file)`);
  }
  return { sections: [], docText: text };
}
