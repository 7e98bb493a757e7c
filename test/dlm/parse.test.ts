import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DlmCompatError } from '../../src/core/errors.js';
import { parseDlm, sectionId } from '../../src/suite/dlm/parse.js';
import { loadDlmSource } from '../../src/suite/dlm/source.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/dlm/garden.dlm');

describe('parseDlm', () => {
  it('parses the fixture into typed sections', () => {
    const src = loadDlmSource(FIXTURE, { DLM_HOME: '/nonexistent-dlm-home' });
    expect(src.dlmId).toBe('01HZX3K8Q4W5E6R7T8Y9U0I1O2');
    expect(src.baseModel).toBe('sway-fixtures/tiny-llama');
    expect(src.adapterPath).toBeUndefined();
    expect(src.sections.map((s) => [s.kind, s.tag])).toEqual([
      ['prose', null],
      ['instruction', null],
      ['instruction', 'tone'],
      ['preference', null],
      ['prose', null],
    ]);
    const [prose, inst, tone, pref, code] = src.sections;
    expect(prose!.content).toBe(
      'Tomatoes ripen best when nights stay above ten degrees. Gardeners pinch side shoots to keep one leader.',
    );
    expect(inst!.probes).toEqual([
      { prompt: 'What colour is the moonflower?', gold: 'The moonflower is silver blue.' },
      { prompt: 'How often should ferns be misted?', gold: 'Ferns want misting every morning.' },
    ]);
    expect(tone!.probes).toEqual([{ prompt: 'Where does the heron nest?', gold: 'The heron nests in the old willow.' }]);
    expect(pref!.preferences).toEqual([
      { prompt: 'Describe the compost heap.', chosen: 'Warm, dark and crumbly.', rejected: 'Cold and slimy.' },
    ]);
    expect(code!.content).toContain('this fence is inside a code block');
    expect(prose!.id).toBe(sectionId('prose', prose!.content));
    expect(prose!.id).toMatch(/^[0-9a-f]{16}$/);
    expect(src.docText).toBe(src.sections.map((s) => s.content).join('\n\n'));
  });

  it('CRLF and a BOM parse the same as LF', () => {
    const lf = parseDlm('---\ndlm_id: X\n---\nhello\n::instruction::\n### Q\nq\n### A\na\n', 'a.dlm');
    const crlf = parseDlm('\uFEFF---\r\ndlm_id: X\r\n---\r\nhello\r\n::instruction::\r\n### Q\r\nq\r\n### A\r\na\r\n', 'a.dlm');
    expect(crlf).toEqual(lf);
  });

  it.each([
    ['no front matter\n', /a\.dlm:1: a \.dlm document must start with a '---'/],
    ['---\ndlm_id: x\n', /front matter is not closed/],
    ['---\n[1,2]\n---\n', /front matter must be a mapping/],
    ['---\n---\n::instruction::\n\n', /::instruction:: section is empty/],
    ['---\n---\n::instruction::\n### A\nx\n### Q\ny\n', /must alternate '### Q' and '### A'/],
    ['---\n---\n::instruction::\n### Q\n\n### A\nx\n', /empty '### Q' or '### A'/],
    ['---\n---\n::preference::\n### Prompt\np\n### Rejected\nr\n### Chosen\nc\n', /'### Prompt', '### Chosen', '### Rejected' in that order/],
  ])('bad document %# is one DlmCompatError', (text, re) => {
    expect(() => parseDlm(text, 'a.dlm')).toThrow(DlmCompatError);
    expect(() => parseDlm(text, 'a.dlm')).toThrow(re);
  });

  it('finds the current adapter and store through DLM_HOME', () => {
    const home = mkdtempSync(join(tmpdir(), 'sway-dlm-'));
    const store = join(home, 'store', '01HZX3K8Q4W5E6R7T8Y9U0I1O2');
    mkdirSync(join(store, 'adapter', 'versions', 'v0002'), { recursive: true });
    writeFileSync(join(store, 'adapter', 'current.txt'), 'adapter/versions/v0002\n');
    const src = loadDlmSource(FIXTURE, { DLM_HOME: home });
    expect(src.adapterPath).toBe(join(store, 'adapter', 'versions', 'v0002'));
    expect(src.storePath).toBe(store);
    writeFileSync(join(store, 'adapter', 'current.txt'), 'adapter/versions/v0009\n');
    expect(loadDlmSource(FIXTURE, { DLM_HOME: home }).adapterPath).toBeUndefined();
    rmSync(home, { recursive: true, force: true });
  });

  it('a missing document names the file and the key', () => {
    expect(() => loadDlmSource('/nope/doc.dlm')).toThrow(/\/nope\/doc\.dlm: cannot read \.dlm document \(ENOENT\) — check the path \(dlm_source in sway\.yaml/);
  });
});
