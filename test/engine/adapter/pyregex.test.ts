import { describe, expect, it } from 'vitest';
import { AdapterError } from '../../../src/core/errors.js';
import { compilePythonRegex, translatePythonRegex } from '../../../src/engine/adapter/pyregex.js';

const W = 'adapter_config.json: target_modules';

describe('translatePythonRegex', () => {
  it('keeps the common subset unchanged', () => {
    expect(translatePythonRegex('.*\\.(q_proj|v_proj)', W)).toBe('.*\\.(q_proj|v_proj)');
    expect(translatePythonRegex('model\\.layers\\.[0-9]+\\.mlp\\.\\w+', W)).toBe('model\\.layers\\.[0-9]+\\.mlp\\.\\w+');
    expect(translatePythonRegex('(?:a|b)+?', W)).toBe('(?:a|b)+?');
  });

  it('translates named groups, back-references and \\A / \\Z anchors', () => {
    expect(translatePythonRegex('(?P<m>q|k)_proj', W)).toBe('(?<m>q|k)_proj');
    expect(translatePythonRegex('(?P<x>a)(?P=x)', W)).toBe('(?<x>a)\\k<x>');
    expect(translatePythonRegex('\\Aq_proj\\Z', W)).toBe('^q_proj$');
  });

  it('treats a leading ] in a class as a literal, like Python', () => {
    const re = new RegExp(`^${translatePythonRegex('[]a]+', W)}$`);
    expect(re.test(']a]')).toBe(true);
    expect(translatePythonRegex('[(]x', W)).toBe('[(]x');
  });

  it.each([
    ['(?i)q_proj', 'inline flags'],
    ['q(?#note)_proj', 'comment group'],
    ['(?(1)a|b)', 'conditional group'],
    ['(?>q)_proj', 'atomic group'],
    ['q_proj++', 'possessive quantifier'],
    ['a{2}+', 'possessive quantifier'],
    ['\\N{DASH}', 'named-character escape'],
  ])('refuses %s by name', (pattern, what) => {
    expect(() => translatePythonRegex(pattern, W)).toThrow(AdapterError);
    expect(() => translatePythonRegex(pattern, W)).toThrow(what);
    expect(() => translatePythonRegex(pattern, W)).toThrow(`${W}: the Python regex '${pattern}'`);
  });
});

describe('compilePythonRegex', () => {
  it('fullmatch anchors both ends', () => {
    const re = compilePythonRegex('.*q_proj', W, 'fullmatch');
    expect(re.test('model.layers.0.self_attn.q_proj')).toBe(true);
    expect(re.test('model.layers.0.self_attn.q_proj.x')).toBe(false);
  });

  it('suffix form matches only at a dot boundary', () => {
    const re = compilePythonRegex('proj', W, 'suffix');
    expect(re.test('model.layers.0.self_attn.q_proj')).toBe(false);
    expect(re.test('model.proj')).toBe(true);
    expect(re.test('proj')).toBe(true);
  });

  it('reports a syntax error with the key', () => {
    expect(() => compilePythonRegex('(q_proj', W, 'fullmatch')).toThrow(/target_modules: '\(q_proj' is not a valid regular expression/);
  });
});
