/**
 * Translates the Python `re` patterns found in adapter_config.json (`target_modules`,
 * `exclude_modules` as strings, `rank_pattern` / `alpha_pattern` keys) into JS RegExps.
 * Only the common subset is translated; Python-only constructs whose meaning we cannot
 * reproduce are refused by name instead of being matched differently.
 */
import { AdapterError } from '../../core/errors.js';

/** Constructs refused with a name, keyed by the text that introduces them after `(?`. */
function groupRefusal(rest: string): string | null {
  if (rest.startsWith('#')) return 'comment group (?#...)';
  if (rest.startsWith('(')) return 'conditional group (?(id)yes|no)';
  if (rest.startsWith('>')) return 'atomic group (?>...)';
  if (/^[aiLmsux-]/.test(rest)) return 'inline flags (?aiLmsux)';
  return null;
}

/**
 * Returns the JS source equivalent to a Python pattern. `where` names the config key for
 * error messages (e.g. `adapter_config.json: rank_pattern key 'q_proj'`).
 */
export function translatePythonRegex(pattern: string, where: string): string {
  let out = '';
  let inClass = false;
  let lastWasQuantifier = false;
  const refuse = (what: string): never => {
    throw new AdapterError(
      `${where}: the Python regex '${pattern}' uses ${what}, which sway cannot evaluate the same way in JavaScript; ` +
        'rewrite the pattern without it (or list module names instead of a regex).',
      'SWAY_ADAPTER_UNSUPPORTED',
    );
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) refuse('a trailing backslash');
      i++;
      if (!inClass && n === 'Z') out += '$';
      else if (!inClass && n === 'A') out += '^';
      else if (n === 'N') refuse('a named-character escape \\N{...}');
      else out += `\\${n}`;
      lastWasQuantifier = false;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A leading `]` (or `^]`) is a literal in Python but closes an empty class in JS.
      if (pattern[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (pattern[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      lastWasQuantifier = false;
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      const refusal = groupRefusal(rest);
      if (refusal) refuse(refusal);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 3;
      } else if (rest.startsWith('P=')) {
        const close = rest.indexOf(')');
        if (close < 0) refuse('an unterminated (?P=name) back-reference');
        out += `\\k<${rest.slice(2, close)}>`;
        i += 2 + close;
      } else {
        out += '(?';
        i += 1;
      }
      lastWasQuantifier = false;
      continue;
    }
    if (c === '+' && lastWasQuantifier) refuse('a possessive quantifier (*+, ++, ?+, {m,n}+)');
    const isQuantifier = c === '*' || c === '+' || c === '?' || c === '}';
    // `+?` / `*?` (lazy) is fine; a `+` right after a lazy `?` is still possessive-looking, refuse above.
    lastWasQuantifier = isQuantifier && !(c === '?' && lastWasQuantifier);
    out += c;
  }
  return out;
}

/** Compiles a translated pattern; a syntax error becomes an AdapterError naming the key. */
export function compilePythonRegex(pattern: string, where: string, anchored: 'fullmatch' | 'suffix'): RegExp {
  const js = translatePythonRegex(pattern, where);
  const source = anchored === 'fullmatch' ? `^(?:${js})$` : `^(.*\\.)?(${js})$`;
  try {
    return new RegExp(source);
  } catch (err) {
    throw new AdapterError(`${where}: '${pattern}' is not a valid regular expression (${(err as Error).message}); fix the pattern.`);
  }
}
