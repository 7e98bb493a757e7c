/** Typed sections of a .dlm document, as the bridge probes consume them. */

export interface SectionProbe {
  prompt: string;
  gold: string;
}

export interface SectionPreference {
  prompt: string;
  chosen: string;
  rejected: string;
}

export type SectionKind = 'prose' | 'instruction' | 'preference';

export interface Section {
  /** dlm uses a 16-hex sha256 prefix of the content; not enforced. */
  id: string;
  kind: SectionKind;
  content: string;
  probes: SectionProbe[];
  preferences: SectionPreference[];
  tag: string | null;
}

export function filterKinds(sections: readonly Section[], kinds: readonly SectionKind[]): Section[] {
  return sections.filter((s) => kinds.includes(s.kind));
}
