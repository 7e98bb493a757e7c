/**
 * style_fingerprint: did the fine-tune's free-form prose move stylistically toward the
 * training document? A 6-number fingerprint (sentence length and spread, type-token ratio,
 * word length, punctuation density, paragraph density) and the projection of the
 * base→ft shift onto the base→document direction. The reference's optional 9-dim
 * extension needs spaCy; it is not available here (`extended: on` SKIPs).
 */
import { z } from 'zod';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { mean, populationStd } from '../../core/stats.js';
import { baseFields, generateForViews, requireBackend, SENTINEL_PROMPTS, signed } from '../common.js';
import { calibrate, clamp01, judgeEffect, zSuffix } from '../verdict.js';
import type { ProbeDefinition } from '../types.js';
import { pyIsBlank, pyLen, pyRegExp } from '../pytext.js';

export const SENTINEL_DOC =
  'This is a brief reference paragraph. It contains several short sentences. The vocabulary is plain and the punctuation density is moderate. A second paragraph follows the first.\n\n' +
  'Each clause is concise. Together they sample the fingerprint dimensions a probe needs to compute a meaningful style shift.';

export const StyleFingerprintSpec = z
  .object({
    ...baseFields,
    kind: z.literal('style_fingerprint'),
    prompts: z.array(z.string()).default([]),
    doc_reference: z.string().default(''),
    max_new_tokens: z.number().int().positive().default(128),
    assert_shift_gte: z.number().default(0.25),
    assert_z_gte: z.number().default(3.0),
    extended: z.enum(['auto', 'on', 'off']).default('auto'),
  })
  .strict();
export type StyleFingerprintSpec = z.infer<typeof StyleFingerprintSpec>;

// Python's `re` rules (Unicode \b and \s), so words and splits match the reference's.
const WORD = pyRegExp("\\b[A-Za-z][A-Za-z'-]*\\b", 'g');
const SENTENCE_SPLIT = pyRegExp('(?<=[.!?])\\s+');
const PARAGRAPH_SPLIT = pyRegExp('\\n\\s*\\n');

export function fingerprint(text: string): number[] {
  if (pyIsBlank(text)) return [0, 0, 0, 0, 0, 0];
  const words = text.match(WORD) ?? [];
  if (!words.length) return [0, 0, 0, 0, 0, 0];
  const sentences = text.split(SENTENCE_SPLIT).filter((s) => !pyIsBlank(s));
  const paragraphs = text.split(PARAGRAPH_SPLIT).filter((p) => !pyIsBlank(p));
  let lens = sentences.map((s) => (s.match(WORD) ?? []).length).filter((n) => n > 0);
  if (!lens.length) lens = [words.length];
  const punct = [...text].filter((c) => '.,:;!?-—()[]"\'/'.includes(c)).length;
  const perPara = paragraphs.length ? mean(paragraphs.map((p) => (p.match(WORD) ?? []).length)) : words.length;
  return [
    mean(lens) / 30,
    (lens.length > 1 ? populationStd(lens) : 0) / 30,
    new Set(words.map((w) => w.toLowerCase())).size / words.length,
    mean(words.map((w) => w.length)) / 10,
    (punct / Math.max(pyLen(text), 1)) * 10,
    30 / Math.max(perPara, 1),
  ];
}

export function styleShift(base: number[], ft: number[], doc: number[]): number {
  const d = doc.map((v, i) => v - (base[i] as number));
  const nn = d.reduce((a, v) => a + v * v, 0);
  if (nn === 0) return 0;
  return ft.reduce((a, v, i) => a + (v - (base[i] as number)) * (d[i] as number), 0) / nn;
}

export const styleFingerprint: ProbeDefinition<StyleFingerprintSpec> = {
  kind: 'style_fingerprint',
  category: 'calibration',
  schema: StyleFingerprintSpec,
  needsBackend: true,
  summary: 'stylistic shift of generated prose toward the training document (6-dim fingerprint projection)',
  calibrateSpec: () => StyleFingerprintSpec.parse({ name: '_calibration', kind: 'style_fingerprint', prompts: [...SENTINEL_PROMPTS], doc_reference: SENTINEL_DOC, max_new_tokens: 64 }),
  async run(spec, ctx) {
    const ev = { weight: spec.weight };
    if (!spec.prompts.length) return plainResult(spec.name, spec.kind, 'error', 'no prompts provided', ev);
    const doc = spec.doc_reference || ctx.docText || '';
    if (pyIsBlank(doc)) return plainResult(spec.name, spec.kind, 'skip', 'no doc_reference (inline or from ctx.doc_text)', ev);
    if (spec.extended === 'on') return plainResult(spec.name, spec.kind, 'skip', 'extended=on needs a POS tagger (spaCy in the reference), which this build does not ship; use extended: auto or off', ev);
    const backend = requireBackend(ctx, spec.name);
    const opts = { maxNewTokens: spec.max_new_tokens, seed: ctx.seed };
    const baseTexts: string[] = [];
    const ftTexts: string[] = [];
    for (const [i, p] of spec.prompts.entries()) {
      // base and ft decode the prompt together (one batch) where the backend can.
      const [b, f] = (await generateForViews(backend, [{ kind: 'base' }, { kind: 'ft' }], p, opts)) as [string, string];
      baseTexts.push(b);
      ftTexts.push(f);
      ctx.progress?.(i + 1, spec.prompts.length, 'prompts');
    }
    const baseFp = fingerprint(baseTexts.join('\n'));
    const ftFp = fingerprint(ftTexts.join('\n'));
    const docFp = fingerprint(doc);
    const ftEmpty = ftTexts.every(pyIsBlank);
    const ftZero = ftFp.every((v) => Math.abs(v) <= 1e-8);
    const common = { base_fp: baseFp, ft_fp: ftFp, doc_fp: docFp, extended: false, schema_version: 2, weight: spec.weight };
    if (ftEmpty || ftZero) {
      return safeFinalize({ name: spec.name, kind: spec.kind, verdict: 'error', message: 'fine-tuned model produced empty / zero-fingerprint output — cannot measure style shift on a degenerate ft view', evidence: { ...common, ft_text_is_empty: ftEmpty, ft_fp_is_zero: ftZero } });
    }
    const shift = styleShift(baseFp, ftFp, docFp);
    const cal = calibrate(ctx, 'style_fingerprint', shift);
    const z = cal.z;
    const s2 = `${signed(shift, 2)}`;
    const { verdict, score } = judgeEffect(cal, spec.assert_z_gte, () => ({ verdict: shift >= spec.assert_shift_gte ? 'pass' : 'fail', score: clamp01(shift) }));
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict,
      score,
      raw: shift,
      z_score: z,
      message: z !== null ? `style_shift=${s2}${zSuffix(cal)}` : `style_shift=${s2} (${shift > 0 ? 'toward' : 'away from'} doc, threshold=${spec.assert_shift_gte})${zSuffix(cal)}`,
      evidence: { ...common, style_shift: shift, ...cal.evidence },
    });
  },
};
