/**
 * tool_use_fidelity: does the adapter keep the base model's ability to emit schema-valid,
 * correctly named tool calls? Validity is checked with ajv against each tool's JSON Schema.
 */
import { z } from 'zod';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { bootstrapCi, mean } from '../../core/stats.js';
import { scoreFromZ } from '../../core/zscore.js';
import { baseFields, generateForViews, requireBackend } from '../common.js';
import { calibrate, clamp01, zSuffix } from '../verdict.js';
import type { ProbeDefinition } from '../types.js';
import { fieldDisagreement, matchesSchema, parseToolCall, type ToolCall } from './tool-use.js';

const Case = z
  .object({ prompt: z.string(), tool_spec: z.record(z.string(), z.unknown()), gold_tool_name: z.string(), max_new_tokens: z.number().int().positive().default(256) })
  .strict();

export const ToolUseFidelitySpec = z
  .object({
    ...baseFields,
    kind: z.literal('tool_use_fidelity'),
    cases: z.array(Case).default([]),
    allowed_tools: z.array(z.string()).nullable().default(null),
    assert_validity_delta_gte: z.number().default(-0.05),
    assert_hallucination_lte: z.number().default(0.1),
    assert_z_gte: z.number().default(3.0),
  })
  .strict();
export type ToolUseFidelitySpec = z.infer<typeof ToolUseFidelitySpec>;

const pct = (x: number) => `${Math.round(x * 100)}%`;

export const toolUseFidelity: ProbeDefinition<ToolUseFidelitySpec> = {
  kind: 'tool_use_fidelity',
  category: 'attribution',
  schema: ToolUseFidelitySpec,
  needsBackend: true,
  summary: 'schema-valid, correctly named tool calls kept after fine-tuning (ajv JSON Schema check)',
  calibrateSpec: () =>
    ToolUseFidelitySpec.parse({
      name: '_calibration',
      kind: 'tool_use_fidelity',
      cases: [
        { prompt: 'Search the web for the capital of France.', tool_spec: { name: 'search_web', parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } }, gold_tool_name: 'search_web' },
        { prompt: 'Add 2 and 2.', tool_spec: { name: 'calculator', parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] } }, gold_tool_name: 'calculator' },
      ],
    }),
  async run(spec, ctx) {
    if (!spec.cases.length) return plainResult(spec.name, spec.kind, 'skip', "no tool-use cases (inline 'cases' was empty)", { weight: spec.weight });
    const backend = requireBackend(ctx, spec.name);
    const baseOut: string[] = [];
    const ftOut: string[] = [];
    for (const [i, c] of spec.cases.entries()) {
      // base and ft decode the case together (one batch) where the backend can.
      const [b, f] = (await generateForViews(backend, [{ kind: 'base' }, { kind: 'ft' }], c.prompt, { maxNewTokens: c.max_new_tokens })) as [string, string];
      baseOut.push(b);
      ftOut.push(f);
      ctx.progress?.(i + 1, spec.cases.length, 'cases');
    }
    const baseCalls = baseOut.map(parseToolCall);
    const ftCalls = ftOut.map(parseToolCall);
    const baseValid = spec.cases.map((c, i) => matchesSchema(baseCalls[i]!, c.tool_spec));
    const ftValid = spec.cases.map((c, i) => matchesSchema(ftCalls[i]!, c.tool_spec));
    const n = spec.cases.length;
    const baseRate = baseValid.filter(Boolean).length / n;
    const ftRate = ftValid.filter(Boolean).length / n;
    const delta = ftRate - baseRate;
    const both = spec.cases.map((_, i) => i).filter((i) => baseValid[i] && ftValid[i]);
    const disagreement = both.length ? mean(both.map((i) => fieldDisagreement(baseCalls[i] as ToolCall, ftCalls[i] as ToolCall))) : 0;
    const validFt = spec.cases.map((_, i) => i).filter((i) => ftValid[i]);
    const allowed = (name: string, gold: string) => (spec.allowed_tools ? spec.allowed_tools.includes(name) : name === gold);
    const hallucination = validFt.length ? validFt.filter((i) => !allowed((ftCalls[i] as ToolCall).name as string, spec.cases[i]!.gold_tool_name)).length / validFt.length : 0;
    if (baseRate === 0 && ftRate === 0) {
      // Nothing to compare: "kept the ability" is meaningless when neither view has it.
      return plainResult(
        spec.name,
        spec.kind,
        'skip',
        `neither view produced a schema-valid tool call (0/${n} base, 0/${n} ft) — nothing measurable; check the prompts ask for a JSON tool call the model can emit`,
        { weight: spec.weight, json_valid_rate_base: 0, json_valid_rate_ft: 0, num_cases: n, sample_ft_output: (ftOut[0] ?? '').slice(0, 200) },
      );
    }
    const cal = calibrate(ctx, 'tool_use_fidelity', ftRate);
    const z = cal.z;
    const ci = bootstrapCi(ftValid.map((v) => (v ? 1 : 0)), { seed: ctx.seed });
    const gates = delta >= spec.assert_validity_delta_gte && hallucination <= spec.assert_hallucination_lte;
    const scoreRaw = clamp01(1 + delta) * Math.max(0, 1 - hallucination);
    const head = `validity ft=${pct(ftRate)} (base=${pct(baseRate)}, Δ=${delta >= 0 ? '+' : ''}${pct(delta)}), hallucination=${pct(hallucination)}`;
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict: (z === null || z >= spec.assert_z_gte) && gates ? 'pass' : 'fail',
      score: z !== null ? 0.7 * scoreRaw + 0.3 * (scoreFromZ(z) as number) : scoreRaw,
      raw: ftRate,
      z_score: z,
      base_value: baseRate,
      ft_value: ftRate,
      ci_95: ci,
      message: `${head}${zSuffix(cal)}`,
      evidence: {
        json_valid_rate_base: baseRate,
        json_valid_rate_ft: ftRate,
        validity_delta: delta,
        mean_arg_disagreement: disagreement,
        hallucination_rate: hallucination,
        num_cases: n,
        num_arg_pairs_compared: both.length,
        ...cal.evidence,
        raw_ci_95: ci,
        weight: spec.weight,
      },
    });
  },
};
