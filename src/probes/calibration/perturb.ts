/**
 * Deterministic small edits of a prompt prefix, used by the leakage probe. Positions count
 * code points and words follow Python's Unicode `\b`, as in the reference.
 */
import { pyIsUpper, pyRegExp, pySlice } from '../pytext.js';

const ASCII_WORD = pyRegExp('\\b[A-Za-z]+\\b', 'g');
const ANY_UPPER = /\p{Uppercase}/u;

export const PERTURBATIONS = ['typo', 'case_flip', 'drop_punct', 'synonym_swap', 'clause_reverse', 'prefix_inject', 'register_shift'] as const;
export type Perturbation = (typeof PERTURBATIONS)[number];

const SYNONYMS: Record<string, string> = Object.fromEntries(
  (
    'important significant interesting notable good fine great excellent small tiny large big fast quick slow sluggish begin start end finish ' +
    'show demonstrate use employ make create help assist find discover many numerous few several old ancient new recent true valid false incorrect ' +
    'easy simple hard difficult strong robust weak fragile fact truth idea concept result outcome method approach system framework common ordinary ' +
    'rare uncommon thing object person individual place location time moment way manner work labor study examine know understand think consider ' +
    'say state tell inform ask inquire give provide take obtain see observe look view feel sense want desire'
  )
    .split(' ')
    .reduce<[string, string][]>((acc, w, i, all) => (i % 2 === 0 ? [...acc, [w, all[i + 1] as string]] : acc), []),
);

export function perturb(text: string, kind: Perturbation): string {
  if (!text) return text;
  switch (kind) {
    case 'typo':
    {
      const chars = Array.from(text);
      return chars.length < 2 ? text : chars[1]! + chars[0]! + chars.slice(2).join('');
    }
    case 'case_flip': {
      const chars = Array.from(text);
      const i = chars.findIndex((c) => /\p{L}/u.test(c));
      if (i < 0) return text;
      const c = chars[i]!;
      chars[i] = pyIsUpper(c) ? c.toLowerCase() : c.toUpperCase();
      return chars.join('');
    }
    case 'drop_punct':
      return text.replace(/[.,;:!?\-—]/g, '');
    case 'synonym_swap': {
      for (const m of text.matchAll(ASCII_WORD)) {
        const rep = SYNONYMS[m[0].toLowerCase()];
        if (!rep) continue;
        const word = /^[A-Z]/.test(m[0]) ? rep[0]!.toUpperCase() + rep.slice(1) : rep;
        return text.slice(0, m.index) + word + text.slice(m.index! + m[0].length);
      }
      return text;
    }
    case 'clause_reverse':
      for (const sep of [', ', ' and ', ' but ', ' or ']) {
        const at = text.indexOf(sep);
        if (at > 0) return text.slice(at + sep.length).replace(/[.!?]+$/, '') + sep + text.slice(0, at);
      }
      return text;
    case 'prefix_inject':
    {
      const [first, ...rest] = Array.from(text);
      return `I think that ${first!.toLowerCase()}${rest.join('')}`;
    }
    case 'register_shift': {
      const head = pySlice(text, 0, 30);
      return (ANY_UPPER.test(head) ? head.toLowerCase() : head.toUpperCase()) + pySlice(text, 30);
    }
  }
}

export function fragility(clean: number, perturbed: number): number {
  return clean <= 0 ? 0 : Math.max(0, (clean - perturbed) / clean);
}
