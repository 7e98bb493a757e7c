/**
 * Malformed sway.yaml texts for the loader fuzz tests: YAML syntax errors, non-mapping
 * documents, alias bombs, huge files, hostile unicode. Every one must be one clean
 * SpecValidationError (exit 2).
 */
const VALID_HEAD = 'version: 1\nmodels:\n  base: {kind: dummy, base: tiny}\n  ft: {kind: dummy, base: tiny, adapter: ./a}\n';

export interface MalformedCase {
  label: string;
  text: string;
  /** A substring the message must contain. */
  expect: string;
}

function yamlSyntax(): MalformedCase[] {
  const bodies = [
    'a: [1, 2',
    'a: {b: 1',
    'a: "unterminated',
    "a: 'unterminated",
    'a: b: c',
    'a:\n  - 1\n b: 2',
    'a:\n\t- 1',
    '- a\nb: c',
    'a: 1\na: 2',
    'models: 1\nmodels: 2',
    'a: "\\q"',
    'a: *undefined_alias',
    '---\na: 1\n---\nb: 2',
    '[a, b]: c\n]',
    'a: |\n bad\n  worse\nb',
    '? [a\n: b',
    'a: @reserved',
    'a: `backtick',
    '{a: 1}}',
    'a: [1, 2]]',
    'key with no value and\n  bad: indent\n - x',
    'a:\n  b: 1\n   c: 2',
    'x: &a [1\ny: *a',
    '"a": 1\n"a": 2',
    'a: 1\n  b: 2',
    'a: {b: [c, {d: e}]',
  ];
  const out: MalformedCase[] = bodies.map((b, i) => ({ label: `yaml syntax #${i}`, text: b, expect: 'invalid YAML' }));
  // The same errors embedded after a valid head, so line numbers are non-trivial.
  for (const [i, b] of bodies.slice(0, 20).entries()) {
    out.push({ label: `yaml syntax after head #${i}`, text: `${VALID_HEAD}${b}\n`, expect: 'invalid YAML' });
  }
  return out;
}

function notMappings(): MalformedCase[] {
  const docs = ['', '   \n\n', '# only a comment\n', '~', 'null', 'true', 'false', '42', '3.14', '"a string"', 'just text', '[]', '- 1\n- 2', '[version, 1]', '!!str 5', '- models: {}', '---\n', '--- []', '... \n', "'quoted'"];
  return docs.map((t, i) => ({ label: `not a mapping #${i}`, text: t, expect: 'top-level document must be a mapping' }));
}

function aliasBombs(): MalformedCase[] {
  const out: MalformedCase[] = [];
  for (const depth of [4, 6, 8, 10]) {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= depth; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    out.push({ label: `billion laughs depth ${depth}`, text: lines.join('\n'), expect: 'alias' });
    out.push({ label: `billion laughs in suite depth ${depth}`, text: `${VALID_HEAD}${lines.join('\n')}\nsuite: *a${depth}\n`, expect: 'alias' });
  }
  const many = ['x: &x 1', ...Array.from({ length: 300 }, (_, i) => `k${i}: *x`)].join('\n');
  out.push({ label: 'many aliases', text: many, expect: 'alias' });
  return out;
}

function huge(): MalformedCase[] {
  const big = `${VALID_HEAD}suite:\n${'  - {name: x, kind: delta_kl}\n'.repeat(200_000)}`;
  const longLine = `a: "${'x'.repeat(5 * 1024 * 1024)}"`;
  const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
  return [
    { label: 'huge suite', text: big, expect: 'larger than' },
    { label: 'huge single line', text: longLine, expect: 'larger than' },
    { label: 'deeply nested flow', text: `a: ${deep}`, expect: '' },
  ];
}

function unicode(): MalformedCase[] {
  const samples = [
    'a: [\ud83d\ude00',
    '\u202ea: 1\n\u202c b',
    '\u00e9\u00e8: {',
    '\u4f60\u597d: [1,',
    '\u0661\u0662: "',
    'a: \u0007bell\u0007\n- x',
    '\ufeff\ufeff- a',
    'm\u0301odels: [',
    '\u2028a: 1\u2029b:\n c',
    '\u03c3: 1\n\u03c3: 2',
    '\ud83d\udca9',
    '\u200b',
    'a:\u3000\u3000- x\n b',
    '\u{1f600}: [\u{1f600}',
    'ключ: {значение',
    'a: "\\uZZZZ"',
  ];
  return samples.map((t, i) => ({ label: `unicode #${i}`, text: t, expect: '' }));
}

function typeErrorsNeedingSchema(): MalformedCase[] {
  // Shape errors the schema reports (listed here so the counts are visible; run when the schema exists).
  const cases: [string, string][] = [
    ['version string', 'version: "one"\n'],
    ['models list', 'models: [1]\n'],
    ['unknown top key', 'bogus: 1\n'],
    ['defaults list', 'defaults: []\n'],
    ['seed string', 'defaults: {seed: abc}\n'],
    ['top_k bool', 'defaults: {top_k: [1]}\n'],
    ['coverage out of range', 'defaults: {coverage_threshold: 1.5}\n'],
    ['unknown weight key', 'defaults: {score_weights: {bogus: 1}}\n'],
    ['negative weight', 'defaults: {score_weights: {adherence: -1}}\n'],
    ['zero weights', 'defaults: {score_weights: {adherence: 0, attribution: 0, calibration: 0, ablation: 0}}\n'],
    ['suite mapping', 'suite: {a: 1}\n'],
    ['suite scalar', 'suite: 5\n'],
    ['version 2', 'version: 2\n'],
    ['dlm_source list', 'dlm_source: [a]\n'],
    ['unknown defaults key', 'defaults: {seeed: 1}\n'],
  ];
  return cases.map(([label, extra]) => {
    const head = extra.startsWith('version') ? VALID_HEAD.replace('version: 1\n', '') : VALID_HEAD;
    return { label: `schema: ${label}`, text: extra.startsWith('models') ? `version: 1\n${extra}` : `${head}${extra}`, expect: '' };
  });
}

function modelErrors(): MalformedCase[] {
  const variants = [
    '{kind: ollama, base: x}',
    '{kind: hf}',
    '{kind: hf, base: x, dtype: fp12}',
    '{kind: hf, base: 5}',
    '{kind: hf, base: x, extra: 1}',
    '[x]',
    'x',
    '{kind: hf, base: x, trust_remote_code: maybe}',
    '{kind: hf, base: x, adapter: [1]}',
    '{kind: 7, base: x}',
  ];
  return variants.map((v, i) => ({
    label: `schema: model variant #${i}`,
    text: `version: 1\nmodels:\n  base: ${v}\n  ft: {kind: dummy, base: tiny}\n`,
    expect: '',
  }));
}

/** Every proper prefix of a flow-style spec is an unterminated flow collection. */
function truncations(): MalformedCase[] {
  const flow = '{version: 1, models: {base: {kind: dummy, base: tiny}, ft: {kind: dummy, base: tiny}}, suite: [{name: dk, kind: delta_kl, prompts: [a, b]}]}';
  const out: MalformedCase[] = [];
  for (let k = 1; k < flow.length - 1; k += 3) out.push({ label: `truncated flow spec at ${k}`, text: flow.slice(0, k), expect: 'invalid YAML' });
  return out;
}

export function yamlLevelCases(): MalformedCase[] {
  return [...yamlSyntax(), ...notMappings(), ...aliasBombs(), ...huge(), ...unicode(), ...truncations()];
}

/** Valid YAML mappings with hostile content (tags, directives, control characters): the schema rejects them. */
export function oddButValidYaml(): MalformedCase[] {
  const texts = ['a: !!binary "not base64 @@@"', '%YAML 9.9\n---\na: 1', '%TAG ! bogus\n--- !x\na: 1', ': no key', '\u0000a: 1', 'a: 1\u0000', '\ud800: 1', 'k: \u00ff\u00fe\n  - \u0000'];
  return texts.map((t, i) => ({ label: `odd valid yaml #${i}`, text: t, expect: '' }));
}

export function schemaLevelCases(): MalformedCase[] {
  const base = [...typeErrorsNeedingSchema(), ...modelErrors()];
  // Wrong value types for every defaults key.
  const values = ['[]', '{}', '"x"', 'yes', '-5', '1e400', '.nan', '~'];
  for (const key of ['seed', 'top_k', 'coverage_threshold', 'concurrent_probes']) {
    for (const v of values) {
      if (v === '-5' && key !== 'coverage_threshold') continue; // the reference range-checks only coverage_threshold
      base.push({ label: `schema: defaults.${key}=${v}`, text: `${VALID_HEAD}defaults: {${key}: ${v}}\n`, expect: '' });
    }
  }
  return base;
}
