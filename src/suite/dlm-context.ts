/** Sections and document text for the bridge probes from a spec's `dlm_source`. */
import type { Section } from '../core/sections.js';
import { resolveDlm } from './dlm/resolve.js';

export interface DlmContext {
  sections: Section[];
  docText: string;
}

export function loadDlmContext(path: string): DlmContext {
  const h = resolveDlm(path);
  return { sections: h.sections, docText: h.docText };
}
