/**
 * Text rules of the reference's Python `re` and `str`, for probes whose numbers depend on
 * how text splits into words, sentences and characters. Python's `re` on `str` is
 * Unicode-aware where JavaScript's `\b`/`\s` are not, `str.isspace()` takes the
 * separators \x1c–\x1f and \x85 (but not \ufeff, which JavaScript's `\s` does), and
 * `len()`/slicing count code points where JavaScript counts UTF-16 units. Every
 * pattern built here needs the `u` flag.
 */

/** Python's whitespace (`str.isspace()`, and `\s` of `re` on `str`), as a class body. */
export const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** Python's `\w` on `str` (letters, numbers, underscore), as a class body. */
const PY_WORD = '\\p{L}\\p{N}_';

/** Python's `\b` on `str`: a change between a word character and anything else. */
export const PY_BOUNDARY = `(?:(?<=[${PY_WORD}])(?![${PY_WORD}])|(?<![${PY_WORD}])(?=[${PY_WORD}]))`;

const LEADING_SPACE = new RegExp(`^[${PY_SPACE}]+`, 'u');
const TRAILING_SPACE = new RegExp(`[${PY_SPACE}]+$`, 'u');
const ONLY_SPACE = new RegExp(`^[${PY_SPACE}]*$`, 'u');
const UPPERCASE = /\p{Uppercase}/u;

/**
 * A `u`-flagged RegExp from a Python-style pattern: `\b` becomes Python's word boundary and
 * `\s` Python's whitespace (both only where written bare, outside a character class).
 */
export function pyRegExp(pattern: string, flags = ''): RegExp {
  const body = pattern.replace(/\\\\|\\b|\\s/g, (m) => (m === '\\b' ? PY_BOUNDARY : m === '\\s' ? `[${PY_SPACE}]` : m));
  return new RegExp(body, flags.includes('u') ? flags : `${flags}u`);
}

/** `str.strip()`. */
export function pyStrip(text: string): string {
  return text.replace(LEADING_SPACE, '').replace(TRAILING_SPACE, '');
}

/** `not text.strip()`: empty or only whitespace. */
export function pyIsBlank(text: string): boolean {
  return ONLY_SPACE.test(text);
}

/** `len(text)`: code points. */
export function pyLen(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** `text[start:end]` for non-negative bounds, counted in code points. */
export function pySlice(text: string, start: number, end?: number): string {
  return Array.from(text).slice(start, end).join('');
}

/** `ch.isupper()` for one character (Unicode `Uppercase` property). */
export function pyIsUpper(ch: string): boolean {
  return UPPERCASE.test(ch);
}
