import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSwayError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { loadSpecText } from '../../src/suite/load.js';
import { expectCleanError, sway, swayIn } from '../support/cli.js';

const GOOD = `version: 1
models:
  base: {kind: dummy, base: tiny}
  ft: {kind: dummy, base: tiny, adapter: ./adapter}
defaults: {seed: 0, top_k: 16}
suite:
  - {name: dk, kind: delta_kl, prompts: [a, b]}
`;

/** Malformed specs: hand-written cases plus seeded mutations of a good one. */
function malformed(): { label: string; text: string }[] {
  const cases: { label: string; text: string }[] = [
    { label: 'empty', text: '' },
    { label: 'scalar', text: '42' },
    { label: 'list', text: '- a\n- b' },
    { label: 'bad yaml', text: 'models: [unclosed' },
    { label: 'tab indent', text: 'models:\n\tbase: x' },
    { label: 'duplicate key', text: GOOD + 'version: 1\n' },
    { label: 'unknown top key', text: GOOD + 'bogus: 1\n' },
    { label: 'unknown model key', text: GOOD.replace('adapter: ./adapter', 'adapterr: ./adapter') },
    { label: 'bad kind', text: GOOD.replace('kind: dummy, base: tiny}', 'kind: ollama, base: tiny}') },
    { label: 'bad dtype', text: GOOD.replace('base: tiny}', 'base: tiny, dtype: fp12}') },
    { label: 'version 2', text: GOOD.replace('version: 1', 'version: 2') },
    { label: 'version string', text: GOOD.replace('version: 1', 'version: one') },
    { label: 'no models', text: 'version: 1\nsuite: []\n' },
    { label: 'suite not list', text: GOOD.replace(/suite:[\s\S]*$/, 'suite: {a: 1}\n') },
    { label: 'probe unknown kind', text: GOOD.replace('kind: delta_kl', 'kind: delta_kll') },
    { label: 'probe no kind', text: GOOD.replace('kind: delta_kl, ', '') },
    { label: 'probe unknown field', text: GOOD.replace('prompts: [a, b]', 'prompts: [a, b], promts: [c]') },
    { label: 'probe wrong type', text: GOOD.replace('prompts: [a, b]', 'prompts: 3') },
    { label: 'score weights unknown', text: GOOD.replace('top_k: 16}', 'top_k: 16, score_weights: {bogus: 1}}') },
    { label: 'score weights negative', text: GOOD.replace('top_k: 16}', 'top_k: 16, score_weights: {adherence: -1}}') },
    { label: 'threshold > 1', text: GOOD.replace('top_k: 16}', 'top_k: 16, coverage_threshold: 1.5}') },
    { label: 'alias bomb', text: `a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n` },
    { label: 'huge', text: `# ${'x'.repeat(5 * 1024 * 1024)}\n` + GOOD },
    { label: 'unicode keys', text: GOOD.replace('version: 1', 'vérsion: 1') },
    { label: 'emoji values', text: GOOD.replace('kind: delta_kl', 'kind: 🤖') },
    { label: 'null byte', text: GOOD + '\u0000' },
    { label: 'name null', text: GOOD.replace('name: dk', 'name: null') },
    { label: 'runs out of range', text: GOOD + '  - {name: n, kind: null_adapter, runs: 99}\n' },
  ];
  const rng = new Rng(42);
  const lines = GOOD.split('\n');
  const junk = ['{', '}', '[', ']', ':', '- ', '!!python/object:os.system', '&x', '*y', '"', "'", '\t', 'null', '~', '1e999', '-', '|', '>', '%', '@', '`', 'é', '\u2028'];
  for (let i = 0; cases.length < 230; i++) {
    const copy = [...lines];
    const op = rng.int(4);
    const li = rng.int(copy.length);
    const line = copy[li] ?? '';
    if (op === 0) copy[li] = line.slice(0, rng.int(line.length + 1)) + junk[rng.int(junk.length)] + line.slice(rng.int(line.length + 1));
    else if (op === 1) copy.splice(li, 1);
    else if (op === 2) copy[li] = ' '.repeat(rng.int(5)) + line.trimStart();
    else copy[li] = line.replace(/: .*/, `: ${junk[rng.int(junk.length)]}`);
    const text = copy.join('\n');
    if (text === GOOD) continue;
    cases.push({ label: `mutation #${i}`, text });
  }
  return cases;
}

describe('loader fuzz: malformed specs give one clean SwayError', () => {
  const cases = malformed();
  it(`covers ${cases.length} specs`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    let rejected = 0;
    for (const c of cases) {
      try {
        loadSpecText(c.text, 'fuzz.yaml', tmpdir());
      } catch (err) {
        if (!isSwayError(err)) throw new Error(`${c.label}: non-SwayError ${String(err)}`);
        expect(err.exitCode, c.label).toBe(2);
        expect(err.message.startsWith('fuzz.yaml'), c.label).toBe(true);
        expect(err.message, c.label).not.toMatch(/\n\s+at /);
        rejected++;
      }
    }
    // Some mutations stay valid YAML with a valid spec (e.g. a deleted optional line); most must be refused.
    expect(rejected).toBeGreaterThan(150);
  });

  it('the good spec loads, and PyYAML-style booleans are read as the reference does', () => {
    const l = loadSpecText(GOOD.replace('prompts: [a, b]', 'prompts: [a, b], enabled: no, assert_mean_gte: 1e-3'), 'ok.yaml', tmpdir());
    expect(l.probes[0]!.spec.enabled).toBe(false);
    expect((l.probes[0]!.spec as unknown as { assert_mean_gte: number }).assert_mean_gte).toBe(0.001);
    expect(l.spec.models.ft.adapter).toBe(join(tmpdir(), 'adapter'));
  });

  it('the CLI agrees with the loader on every case: a refused spec is one line with exit 2, an accepted one runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sway-fuzz-'));
    const f = join(dir, 'spec.yaml');
    let ran = 0;
    for (const c of cases) {
      writeFileSync(f, c.text);
      let refusal: string | null = null;
      try {
        loadSpecText(c.text, f, dir);
      } catch (err) {
        refusal = (err as Error).message;
      }
      const r = await swayIn(['run', f]);
      if (refusal === null) {
        // a mutation that stayed a valid spec must run, not be skipped
        expect(r.code, `${c.label}: the loader accepts it, so sway run must run it\n${r.stderr}`).toBe(0);
        // an entry without a name is named after its kind (issue 15 item 10)
        expect(r.stdout, c.label).toMatch(/name (null|absent|missing)/.test(c.label) ? /delta_kl\s+delta_kl/ : /\bdk\b/);
        ran++;
      } else {
        expect(expectCleanError(r), c.label).toBe(`sway: error: ${refusal}`);
      }
    }
    expect(ran, 'some mutations stay valid (deleted optional lines)').toBeGreaterThan(0);
    // the one spawned case of `sway run`: the real process prints one line and exits 2
    expectCleanError(sway(['run', join(dir, 'missing.yaml')]));
  });
});
