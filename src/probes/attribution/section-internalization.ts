/**
 * section_internalization: did each .dlm section lower the model's NLL on its own content
 * more than the fine-tune lowered it on the other sections (own lift minus mean leak)?
 */
import { z } from 'zod';
import type { ScoringView } from '../../backends/contract.js';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { fixed, pyStrList, signedFixed } from '../../core/pyformat.js';
import type { ProbeResult } from '../../core/results.js';
import { laxFloat, laxInt } from '../../core/schema.js';
import type { Section, SectionKind } from '../../core/sections.js';
import { bootstrapCi, mean } from '../../core/stats.js';
import { noCalibrationNote, scoreFromZ, verdictFromZ, zScore, zScoresByRank } from '../../core/zscore.js';
import { getNullStats, getNullStatsByRank, requireBackend } from '../context.js';
import { probeSchema } from '../spec-base.js';
import type { ProbeDefinition, RunContext } from '../types.js';
import { tokenEstimate } from './token-estimate.js';

const KIND = 'section_internalization';
const SECTION_KINDS = ['prose', 'instruction', 'preference'] as const;

export const sectionInternalizationSchema = probeSchema(KIND, {
  include_kinds: z.array(z.enum(SECTION_KINDS)).default([...SECTION_KINDS]),
  per_section_threshold: laxFloat.default(0.05),
  assert_passing_section_frac: laxFloat.default(0.5),
  assert_z_gte: laxFloat.default(3.0),
  max_prose_chars: laxInt.pipe(z.number().min(1)).default(2000),
});
export type SectionInternalizationSpec = z.output<typeof sectionInternalizationSchema>;

async function proseNll(view: ScoringView, text: string): Promise<number> {
  if (text.trim() === '') return 0;
  const r = await view.rollingLogprob(text);
  const m = r.logprobs.length ? r.totalLogprob / r.logprobs.length : 0;
  return -m;
}

async function sectionNll(view: ScoringView, s: Section, maxChars: number): Promise<number> {
  const prose = (): Promise<number> => proseNll(view, Array.from(s.content).slice(0, maxChars).join(''));
  const pairs =
    s.kind === 'instruction'
      ? s.probes.map((p) => ({ prompt: p.prompt, gold: p.gold }))
      : s.kind === 'preference'
        ? s.preferences.map((p) => ({ prompt: p.prompt, gold: p.chosen }))
        : [];
  if (pairs.length === 0) return prose();
  const nlls: number[] = [];
  for (const p of pairs) nlls.push(-(await view.logprobOf(p.prompt, p.gold)) / Math.max(tokenEstimate(p.gold), 1));
  return mean(nlls);
}

/** Relative NLL drop; the absolute drop when the base NLL is not positive. */
export function relativeLift(b: number, f: number): number {
  return b > 0 ? (b - f) / b : b - f;
}

export async function runSectionInternalization(spec: SectionInternalizationSpec, ctx: RunContext): Promise<ProbeResult> {
  const { name, kind } = spec;
  if (!ctx.sections || ctx.sections.length === 0) {
    return plainResult(name, kind, 'skip', 'no sections in context — provide via the .dlm bridge');
  }
  const kinds = spec.include_kinds as SectionKind[];
  const eligible = ctx.sections.filter((s) => kinds.includes(s.kind));
  if (eligible.length < 2) {
    return plainResult(name, kind, 'skip', `need ≥2 eligible sections for leak-check; got ${eligible.length} (kinds=${pyStrList(kinds)})`);
  }
  const backend = requireBackend(ctx, name);
  const nlls = async (view: ScoringView): Promise<Map<string, number>> => {
    const out = new Map<string, number>();
    for (const s of eligible) out.set(s.id, await sectionNll(view, s, spec.max_prose_chars));
    return out;
  };
  const base = await backend.asBase(nlls);
  const ft = await backend.asFinetuned(nlls);
  const lift = new Map(eligible.map((s) => [s.id, relativeLift(base.get(s.id)!, ft.get(s.id)!)]));
  const perSection = eligible.map((s) => {
    const own = lift.get(s.id)!;
    const leak = mean(eligible.filter((o) => o.id !== s.id).map((o) => lift.get(o.id)!));
    const effective = own - leak;
    return {
      section_id: s.id,
      kind: s.kind,
      tag: s.tag ?? '',
      base_nll: base.get(s.id)!,
      ft_nll: ft.get(s.id)!,
      own_lift: own,
      leak_lift: leak,
      effective_sis: effective,
      passed: effective >= spec.per_section_threshold,
    };
  });
  const effective = perSection.map((p) => p.effective_sis);
  const passing = perSection.filter((p) => p.passed).length;
  const n = eligible.length;
  const passingFrac = passing / n;
  const raw = mean(effective);
  const z = zScore(raw, getNullStats(ctx, KIND));
  const ci = bootstrapCi(effective, { seed: ctx.seed });
  const evidence = {
    per_section: perSection,
    num_sections: n,
    passing_frac: passingFrac,
    per_section_threshold: spec.per_section_threshold,
    weight: spec.weight,
    z_by_rank: zScoresByRank(raw, getNullStatsByRank(ctx, KIND)),
    raw_ci_95: ci,
  };
  if (z !== null) {
    return safeFinalize({
      name,
      kind,
      verdict: verdictFromZ(z, spec.assert_z_gte)!,
      score: scoreFromZ(z),
      raw,
      z_score: z,
      evidence,
      ci_95: ci,
      message: `${passing}/${n} sections cleared; mean effective_sis=${signedFixed(raw, 3)}, z=${signedFixed(z, 2)}σ vs null`,
    });
  }
  return safeFinalize({
    name,
    kind,
    verdict: passingFrac >= spec.assert_passing_section_frac ? 'pass' : 'fail',
    score: passingFrac,
    raw,
    evidence,
    ci_95: ci,
    message: `${passing}/${n} sections cleared effective_sis≥${fixed(spec.per_section_threshold, 2)} (mean=${signedFixed(raw, 3)}) ${noCalibrationNote(KIND)}`,
  });
}

export const sectionInternalizationProbe: ProbeDefinition<SectionInternalizationSpec> = {
  kind: KIND,
  category: 'attribution',
  schema: sectionInternalizationSchema as unknown as ProbeDefinition<SectionInternalizationSpec>['schema'],
  needsBackend: true,
  summary: 'Per .dlm section: NLL lift on its own content minus the lift leaked to other sections.',
  run: runSectionInternalization,
  calibrateSpec: (ctx) =>
    !ctx.sections || ctx.sections.length < 2
      ? null
      : sectionInternalizationSchema.parse({ name: '_calibration', per_section_threshold: 0.05 }),
};
