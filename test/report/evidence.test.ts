/**
 * The evidence behind a z in every report: null samples, effect size and tail in the JSON,
 * null samples as points per probe and rank in the HTML, "> 50σ" for meaningless precision,
 * the null family named, empty categories as "—", and probe names that are not markup.
 */
import { describe, expect, it } from 'vitest';
import type { SuiteResult } from '../../src/core/results.js';
import { toHtml } from '../../src/report/html.js';
import { fromJson, toJson } from '../../src/report/json.js';
import { toMarkdown } from '../../src/report/markdown.js';
import { toTerminal } from '../../src/report/terminal.js';
import { demoSpecYaml } from '../../src/suite/demo-specs.js';
import { executeSpec, loadSpecText } from '../../src/suite/execute.js';
import { computeScore } from '../../src/suite/score.js';
import { tinyFixtures } from '../support/fixtures.js';
import { snapshotSuite } from './fixture.js';

describe('null evidence in the reports (demo suite, trained adapter)', async () => {
  const fx = tinyFixtures('llama');
  const { suite, score } = await executeSpec(loadSpecText(demoSpecYaml(fx.base, fx.trained), 'demo.yaml', fx.root));
  const dk = suite.probes.find((p) => p.kind === 'delta_kl')!;

  it('JSON holds the null samples, the effect size and the empirical tail for a calibrated probe', () => {
    const back = fromJson(toJson(suite, score)).suite.probes.find((p) => p.kind === 'delta_kl')!;
    const ns = back.evidence['null_samples'] as { n: number; mean: number; std: number; min: number; max: number; values: number[] };
    expect(ns.n).toBe(6);
    expect(ns.values).toHaveLength(6);
    expect(ns.min).toBe(Math.min(...ns.values));
    expect(ns.max).toBe(Math.max(...ns.values));
    expect(back.evidence['effect_size']).toBeCloseTo((dk.raw! - ns.mean) / ns.std, 6);
    expect(back.evidence['tail_fraction']).toBe(0);
    expect(Object.keys(back.evidence['null_samples_by_rank'] as object)).toEqual(['rank_0.50', 'rank_1.00', 'rank_2.00']);
    expect(suite.probes[0]!.evidence['null_family']).toMatch(/^strength-matched/);
  });

  it('HTML plots every null sample per rank with the adapter’s value marked, and prints > 50σ', () => {
    const html = toHtml(suite, score);
    const panel = /<svg id="sway-null-samples"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(panel).not.toBe('');
    expect(panel.match(/class="null-sample"/g)).toHaveLength(18);
    expect(panel.match(/class="adapter-value"/g)).toHaveLength(3);
    expect(panel).toContain('taught_prompts @ 0.5x');
    expect(dk.z_score!).toBeGreaterThan(50);
    expect(html).toContain('&gt; 50σ');
    // No label or tick prints a float at full precision (geometry attributes may).
    expect(html).not.toMatch(/>[^<]*\d\.\d{6,}[^<]*</);
    expect(html).toContain('null adapters: strength-matched');
    expect(html).toContain('<th>ci95</th>');
  });

  it('terminal and Markdown name the null family and cap large z', () => {
    const term = toTerminal(suite, score);
    expect(term).toContain('> 50σ');
    expect(term).toContain('null adapters: strength-matched');
    expect(toMarkdown(suite, score)).toContain('**Null adapters:** strength-matched');
  });
});

describe('empty categories', () => {
  it('have no component and show as — with a note in terminal, Markdown and HTML', () => {
    const { suite } = snapshotSuite();
    const only = { ...suite, probes: suite.probes.filter((p) => p.kind === 'delta_kl') } as SuiteResult;
    const score = computeScore(only);
    expect(Object.keys(score.components)).toEqual(['adherence']);
    const term = toTerminal(only, score);
    expect(term).toMatch(/^ {2}calibration +— +\(no probes scored; left out of the composite\)$/m);
    expect(term).not.toMatch(/calibration\s+0\.00/);
    const md = toMarkdown(only, score);
    expect(md).toContain('| calibration | — | 0.20 | (no probes scored; left out of the composite) |');
    const html = toHtml(only, score);
    expect(html).toContain('no probes scored (— , left out of the composite): attribution, calibration, ablation, baseline');
  });
});

describe('Markdown cells are text, not markup', () => {
  it('escapes a raw <img> in a probe name and message', () => {
    const { suite, score } = snapshotSuite();
    const evil = { ...suite, probes: [{ ...suite.probes[0]!, name: '<img src=x onerror=alert(1)>', message: 'a <b>bold</b> & claim' }] } as SuiteResult;
    const md = toMarkdown(evil, score);
    expect(md).not.toContain('<img');
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(md).toContain('a &lt;b&gt;bold&lt;/b&gt; &amp; claim');
  });
});
