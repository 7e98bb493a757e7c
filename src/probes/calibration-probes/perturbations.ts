/** The seven deterministic prefix perturbations of the leakage probe. */

export const PERTURBATION_KINDS = [
  'typo',
  'case_flip',
  'drop_punct',
  'synonym_swap',
  'clause_reverse',
  'prefix_inject',
  'register_shift',
] as const;
export type PerturbationKind = (typeof PERTURBATION_KINDS)[number];

const SYNONYMS: Readonly<Record<string, string>> = {
  important: 'significant', interesting: 'notable', good: 'fine', great: 'excellent', small: 'tiny',
  large: 'big', fast: 'quick', slow: 'sluggish', begin: 'start', end: 'finish', show: 'demonstrate',
  use: 'employ', make: 'create', help: 'assist', find: 'discover', many: 'numerous', few: 'several',
  old: 'ancient', new: 'recent', true: 'valid', false: 'incorrect', easy: 'simple', hard: 'difficult',
  strong: 'robust', weak: 'fragile', fact: 'truth', idea: 'concept', result: 'outcome', method: 'approach',
  system: 'framework', common: 'ordinary', rare: 'uncommon', thing: 'object', person: 'individual',
  place: 'location', time: 'moment', way: 'manner', work: 'labor', study: 'examine', know: 'understand',
  think: 'consider', say: 'state', tell: 'inform', ask: 'inquire', give: 'provide', take: 'obtain',
  see: 'observe', look: 'view', feel: 'sense', want: 'desire',
};

const PUNCT = new Set(['.', ',', ';', ':', '!', '?', '-', '—']);
const CLAUSE_SEPARATORS = [', ', ' and ', ' but ', ' or '];
// Python's \b[A-Za-z]+\b: the boundary is Unicode-aware (letters, digits, '_' are word chars).
const WORD = /(?<![\p{L}\p{N}_])[A-Za-z]+(?![\p{L}\p{N}_])/gu;

const isAlpha = (c: string): boolean => /^\p{L}$/u.test(c);
const isUpper = (c: string): boolean => c !== c.toLowerCase() && c === c.toUpperCase();

export function perturb(text: string, kind: PerturbationKind): string {
  if (text === '') return text;
  const cps = Array.from(text);
  switch (kind) {
    case 'typo':
      return cps.length < 2 ? text : [cps[1]!, cps[0]!, ...cps.slice(2)].join('');
    case 'case_flip': {
      const i = cps.findIndex(isAlpha);
      if (i < 0) return text;
      const c = cps[i]!;
      cps[i] = isUpper(c) ? c.toLowerCase() : c.toUpperCase();
      return cps.join('');
    }
    case 'drop_punct':
      return cps.filter((c) => !PUNCT.has(c)).join('');
    case 'synonym_swap': {
      for (const m of text.matchAll(WORD)) {
        const rep = SYNONYMS[m[0].toLowerCase()];
        if (rep === undefined) continue;
        const out = isUpper(m[0][0]!) ? rep[0]!.toUpperCase() + rep.slice(1) : rep;
        return text.slice(0, m.index) + out + text.slice(m.index + m[0].length);
      }
      return text;
    }
    case 'clause_reverse': {
      for (const sep of CLAUSE_SEPARATORS) {
        const at = text.indexOf(sep);
        if (at > 0) return text.slice(at + sep.length).replace(/[.!?]+$/, '') + sep + text.slice(0, at);
      }
      return text;
    }
    case 'prefix_inject':
      return `I think that ${cps[0]!.toLowerCase()}${cps.slice(1).join('')}`;
    case 'register_shift': {
      const head = cps.slice(0, 30).join('');
      const rest = cps.slice(30).join('');
      return (Array.from(head).some(isUpper) ? head.toLowerCase() : head.toUpperCase()) + rest;
    }
  }
}
