/**
 * section_internalization: did each .dlm section move the model on its own content more
 * than the fine-tune moved it on the other sections' content? Per section, the relative
 * NLL lift on its own content minus the mean lift on the others (effective SIS).
 */
import { z } from 'zod';
import type { ScoringView } from '../../backends/contract.js';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import type { Section } from '../../core/sections.js';
import { bootstrapCi, mean } from '../../core/stats.js';
import { baseFields, requireBackend, signed } from '../common.js';
import { calibrate, judgeEffect, zSuffix } from '../verdict.js';
import type { ProbeDefinition } from '../types.js';

const KINDS = ['prose', 'instruction', 'preference'] as const;

export const SectionInternalizationSpec = z
  .object({
    ...baseFields,
    kind: z.literal('section_internalization'),
    include_kinds: z.array(z.enum(KINDS)).default([...KINDS]),
    per_section_threshold: z.number().default(0.05),
    assert_passing_section_frac: z.number().default(0.5),
    assert_z_gte: z.number().default(3.0),
    max_prose_chars: z.number().int().positive().default(2000),
  })
  .strict();
export type SectionInternalizationSpec = z.infer<typeof SectionInternalizationSpec>;

/** The reference's per-token estimate for a completion: a quarter of its characters. */
export const tokenEstimate = (s: string) => Math.max(1, Math.floor([...s].length / 4));

async function proseNll(view: ScoringView, text: string): Promise<number> {
  if (!text.trim()) return 0;
  const r = await view.rollingLogprob(text);
  return r.logprobs.length ? -r.totalLogprob / r.logprobs.length : 0;
}

async function sectionNll(view: ScoringView, s: Section, maxChars: number): Promise<number> {
  const pairs =
    s.kind === 'instruction'
      ? s.probes.map((p) => ({ prompt: p.prompt, completion: answerAfter(p.prompt, p.gold) }))
      : s.kind === 'preference'
        ? s.preferences.map((p) => ({ prompt: p.prompt, completion: answerAfter(p.prompt, p.chosen) }))
        : [];
  if (!pairs.length) return proseNll(view, s.content.slice(0, maxChars));
  const per: number[] = [];
  for (const p of pairs) per.push(-(await view.logprobOf(p.prompt, p.completion)) / tokenEstimate(p.completion));
  return mean(per);
}

/**
 * A question and its answer are separate texts in a .dlm; joined raw ("…isRome") the
 * boundary tokenizes unlike any real continuation, so a space goes between them when
 * neither side has whitespace there.
 */
export function answerAfter(prompt: string, answer: string): string {
  return /\s$/.test(prompt) || /^\s/.test(answer) || !answer ? answer : ` ${answer}`;
}

const relativeLift = (b: number, f: number) => (b > 0 ? (b - f) / b : b - f);

export const sectionInternalization: ProbeDefinition<SectionInternalizationSpec> = {
  kind: 'section_internalization',
  category: 'attribution',
  schema: SectionInternalizationSpec,
  needsBackend: true,
  summary: 'per .dlm section: NLL lift on its own content minus the mean lift on the other sections',
  calibrateSpec: (ctx) => (ctx.sections && ctx.sections.length >= 2 ? SectionInternalizationSpec.parse({ name: '_calibration', kind: 'section_internalization' }) : null),
  async run(spec, ctx) {
    // The reference's SKIPs carry no evidence (SKIPs do not enter the composite score).
    if (!ctx.sections?.length) return plainResult(spec.name, spec.kind, 'skip', 'no sections in context — provide via the .dlm bridge');
    const eligible = ctx.sections.filter((s) => spec.include_kinds.includes(s.kind));
    if (eligible.length < 2) {
      return plainResult(spec.name, spec.kind, 'skip', `need ≥2 eligible sections for leak-check; got ${eligible.length} (kinds=[${spec.include_kinds.map((k) => `'${k}'`).join(', ')}])`);
    }
    const backend = requireBackend(ctx, spec.name);
    const nll = async (view: ScoringView) => {
      const out: number[] = [];
      for (const s of eligible) out.push(await sectionNll(view, s, spec.max_prose_chars));
      return out;
    };
    const baseNll = await backend.asBase(nll);
    const ftNll = await backend.asFinetuned(nll);
    const lifts = eligible.map((_, i) => relativeLift(baseNll[i]!, ftNll[i]!));
    const perSection = eligible.map((s, i) => {
      const leak = mean(lifts.filter((_, j) => j !== i));
      const eff = lifts[i]! - leak;
      return { section_id: s.id, kind: s.kind, tag: s.tag ?? '', base_nll: baseNll[i]!, ft_nll: ftNll[i]!, own_lift: lifts[i]!, leak_lift: leak, effective_sis: eff, passed: eff >= spec.per_section_threshold };
    });
    const passing = perSection.filter((p) => p.passed).length;
    const passingFrac = passing / eligible.length;
    // The reference's raw (mean effective SIS) is identically ~0: every own lift also enters
    // every other section's leak. The mean own lift is the headline that can move.
    const raw = mean(lifts);
    const meanSis = mean(perSection.map((p) => p.effective_sis));
    const cal = calibrate(ctx, 'section_internalization', raw);
    const z = cal.z;
    const ci = bootstrapCi(lifts, { seed: ctx.seed });
    const ok = passingFrac >= spec.assert_passing_section_frac;
    const { verdict, score } = judgeEffect(cal, spec.assert_z_gte, () => ({ verdict: ok ? 'pass' : 'fail', score: passingFrac }));
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict,
      score,
      raw,
      z_score: z,
      ci_95: ci,
      message:
        z !== null
          ? `${passing}/${eligible.length} sections cleared; mean own lift=${signed(raw, 3)}${zSuffix(cal)}`
          : `${passing}/${eligible.length} sections cleared effective_sis≥${spec.per_section_threshold.toFixed(2)} (mean own lift=${signed(raw, 3)})${zSuffix(cal)}`,
      evidence: {
        per_section: perSection,
        num_sections: eligible.length,
        passing_frac: passingFrac,
        mean_effective_sis: meanSis,
        per_section_threshold: spec.per_section_threshold,
        weight: spec.weight,
        ...cal.evidence,
        raw_ci_95: ci,
      },
    });
  },
};
