/** style_fingerprint: did the fine-tune's free-form prose move stylistically toward the training document? */
import { z } from 'zod';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { pyFloat, signedFixed } from '../../core/pyformat.js';
import type { ProbeResult } from '../../core/results.js';
import { laxFloat, laxInt } from '../../core/schema.js';
import { noCalibrationNote, scoreFromZ, verdictFromZ, zScore, zScoresByRank } from '../../core/zscore.js';
import { getNullStats, getNullStatsByRank, requireBackend } from '../context.js';
import { probeSchema, SENTINEL_PROMPTS } from '../spec-base.js';
import type { ProbeDefinition, RunContext } from '../types.js';
import { fingerprint, projectionShift } from './style-features.js';

const KIND = 'style_fingerprint';

export const SENTINEL_DOC =
  'This is a brief reference paragraph. It contains several short sentences. The vocabulary is plain and the punctuation density is moderate. A second paragraph follows the first.\n\nEach clause is concise. Together they sample the fingerprint dimensions a probe needs to compute a meaningful style shift.';

export const styleFingerprintSchema = probeSchema(KIND, {
  prompts: z.array(z.string()).default([]),
  doc_reference: z.string().default(''),
  max_new_tokens: laxInt.pipe(z.number().min(1)).default(128),
  assert_shift_gte: laxFloat.default(0.25),
  assert_z_gte: laxFloat.default(3.0),
  extended: z.enum(['auto', 'on', 'off']).default('auto'),
});
export type StyleFingerprintSpec = z.output<typeof styleFingerprintSchema>;

const clamp01 = (x: number): number => Math.max(0, Math.min(1, x));

export async function runStyleFingerprint(spec: StyleFingerprintSpec, ctx: RunContext): Promise<ProbeResult> {
  const { name, kind } = spec;
  if (spec.prompts.length === 0) return plainResult(name, kind, 'error', 'no prompts provided');
  const doc = spec.doc_reference || ctx.docText || '';
  if (doc.trim() === '') return plainResult(name, kind, 'skip', 'no doc_reference (inline or from ctx.doc_text)');
  // The extended spaCy/textstat dimensions have no equivalent here: 'auto' uses the core six.
  if (spec.extended === 'on') {
    return plainResult(name, kind, 'skip', 'extended=on needs the spaCy/textstat style dimensions, which this TypeScript build does not ship; use extended: auto or off');
  }
  const backend = requireBackend(ctx, name);
  const base: string[] = [];
  const ft: string[] = [];
  const gen = { maxNewTokens: spec.max_new_tokens, temperature: 0, topP: 1, seed: ctx.seed };
  for (const p of spec.prompts) {
    base.push(await backend.asBase((v) => v.generate(p, gen)));
    ft.push(await backend.asFinetuned((v) => v.generate(p, gen)));
  }
  const baseFp = fingerprint(base.join('\n'));
  const ftFp = fingerprint(ft.join('\n'));
  const docFp = fingerprint(doc);
  const ftEmpty = ft.every((s) => s.trim() === '');
  const ftZero = ftFp.every((x) => Math.abs(x) <= 1e-8);
  const common = { base_fp: baseFp, ft_fp: ftFp, doc_fp: docFp };
  if (ftEmpty || ftZero) {
    return safeFinalize({
      name,
      kind,
      verdict: 'error',
      evidence: { ...common, ft_text_is_empty: ftEmpty, ft_fp_is_zero: ftZero, extended: false, schema_version: 2, weight: spec.weight },
      message: 'fine-tuned model produced empty / zero-fingerprint output — cannot measure style shift on a degenerate ft view',
    });
  }
  const shift = projectionShift(baseFp, ftFp, docFp);
  const z = zScore(shift, getNullStats(ctx, KIND));
  const evidence = { ...common, style_shift: shift, extended: false, schema_version: 2, weight: spec.weight, z_by_rank: zScoresByRank(shift, getNullStatsByRank(ctx, KIND)) };
  if (z !== null) {
    return safeFinalize({ name, kind, verdict: verdictFromZ(z, spec.assert_z_gte)!, score: scoreFromZ(z), raw: shift, z_score: z, evidence, message: `style_shift=${signedFixed(shift, 2)}, z=${signedFixed(z, 2)}σ vs null` });
  }
  return safeFinalize({
    name,
    kind,
    verdict: shift >= spec.assert_shift_gte ? 'pass' : 'fail',
    score: clamp01(shift),
    raw: shift,
    evidence,
    message: `style_shift=${signedFixed(shift, 2)} (${shift > 0 ? 'toward' : 'away from'} doc, threshold=${pyFloat(spec.assert_shift_gte)}) ${noCalibrationNote(KIND)}`,
  });
}

export const styleFingerprintProbe: ProbeDefinition<StyleFingerprintSpec> = {
  kind: KIND,
  category: 'calibration',
  schema: styleFingerprintSchema as unknown as ProbeDefinition<StyleFingerprintSpec>['schema'],
  needsBackend: true,
  summary: 'Style fingerprint of generated prose: projection of the ft shift onto the document direction.',
  run: runStyleFingerprint,
  calibrateSpec: () => styleFingerprintSchema.parse({ name: '_calibration', prompts: [...SENTINEL_PROMPTS], doc_reference: SENTINEL_DOC, max_new_tokens: 64 }),
};
