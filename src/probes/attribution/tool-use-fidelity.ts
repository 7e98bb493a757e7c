/** tool_use_fidelity: does the adapter keep the base model's schema-valid, correctly named tool calls? */
import { z } from 'zod';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { percent, signedFixed } from '../../core/pyformat.js';
import type { ProbeResult } from '../../core/results.js';
import { laxFloat, laxInt, strictObject } from '../../core/schema.js';
import { bootstrapCi, mean } from '../../core/stats.js';
import { noCalibrationNote, scoreFromZ, verdictFromZ, zScore, zScoresByRank } from '../../core/zscore.js';
import { getNullStats, getNullStatsByRank, requireBackend } from '../context.js';
import { probeSchema } from '../spec-base.js';
import type { ProbeDefinition, RunContext } from '../types.js';
import { fieldDisagreement, matchesSchema, parseToolCall, type ToolCall } from './tool-call.js';

const KIND = 'tool_use_fidelity';

const caseSchema = strictObject({
  prompt: z.string(),
  tool_spec: z.record(z.string(), z.unknown()),
  gold_tool_name: z.string(),
  max_new_tokens: laxInt.pipe(z.number().min(1)).default(256),
});

export const toolUseFidelitySchema = probeSchema(KIND, {
  cases: z.array(caseSchema).default([]),
  allowed_tools: z.array(z.string()).nullable().default(null),
  assert_validity_delta_gte: laxFloat.default(-0.05),
  assert_hallucination_lte: laxFloat.default(0.1),
  assert_z_gte: laxFloat.default(3.0),
});
export type ToolUseFidelitySpec = z.output<typeof toolUseFidelitySchema>;

const clamp01 = (x: number): number => Math.max(0, Math.min(1, x));

export async function runToolUseFidelity(spec: ToolUseFidelitySpec, ctx: RunContext): Promise<ProbeResult> {
  const { name, kind } = spec;
  if (spec.cases.length === 0) return plainResult(name, kind, 'skip', "no tool-use cases (inline 'cases' was empty)");
  const backend = requireBackend(ctx, name);
  const generateAll = async (view: Parameters<Parameters<typeof backend.asBase>[0]>[0]): Promise<string[]> => {
    const out: string[] = [];
    for (const c of spec.cases) out.push(await view.generate(c.prompt, { maxNewTokens: c.max_new_tokens, temperature: 0, topP: 1, seed: 0 }));
    return out;
  };
  const baseOut = await backend.asBase(generateAll);
  const ftOut = await backend.asFinetuned(generateAll);
  const check = (text: string, i: number): ToolCall | null => {
    const call = parseToolCall(text);
    return call && matchesSchema(call, spec.cases[i]!.tool_spec) ? call : null;
  };
  const baseValid = baseOut.map(check);
  const ftValid = ftOut.map(check);
  const n = spec.cases.length;
  const baseRate = baseValid.filter(Boolean).length / n;
  const ftRate = ftValid.filter(Boolean).length / n;
  const delta = ftRate - baseRate;
  const disagreements: number[] = [];
  const hallucinated: number[] = [];
  spec.cases.forEach((c, i) => {
    const b = baseValid[i];
    const f = ftValid[i];
    if (b && f) disagreements.push(fieldDisagreement(b.obj, f.obj));
    if (f) {
      const called = f.obj['name'] as string;
      const allowed = spec.allowed_tools ? spec.allowed_tools.includes(called) : called === c.gold_tool_name;
      hallucinated.push(allowed ? 0 : 1);
    }
  });
  const meanDisagreement = disagreements.length ? mean(disagreements) : 0;
  const hallucination = hallucinated.length ? mean(hallucinated) : 0;
  const z = zScore(ftRate, getNullStats(ctx, KIND));
  const ci = bootstrapCi(
    ftValid.map((v) => (v ? 1 : 0)),
    { seed: ctx.seed },
  );
  const gatesPass = delta >= spec.assert_validity_delta_gte && hallucination <= spec.assert_hallucination_lte;
  const scoreRaw = clamp01(1 + delta) * Math.max(0, 1 - hallucination);
  const head = `validity ft=${percent(ftRate, 0)} (base=${percent(baseRate, 0)}, Δ=${delta >= 0 ? '+' : ''}${percent(delta, 0)}), hallucination=${percent(hallucination, 0)}`;
  return safeFinalize({
    name,
    kind,
    verdict: (z === null || verdictFromZ(z, spec.assert_z_gte) === 'pass') && gatesPass ? 'pass' : 'fail',
    score: z === null ? scoreRaw : 0.7 * scoreRaw + 0.3 * scoreFromZ(z)!,
    raw: ftRate,
    z_score: z,
    base_value: baseRate,
    ft_value: ftRate,
    ci_95: ci,
    evidence: {
      json_valid_rate_base: baseRate,
      json_valid_rate_ft: ftRate,
      validity_delta: delta,
      mean_arg_disagreement: meanDisagreement,
      hallucination_rate: hallucination,
      num_cases: n,
      num_arg_pairs_compared: disagreements.length,
      z_by_rank: zScoresByRank(ftRate, getNullStatsByRank(ctx, KIND)),
      raw_ci_95: ci,
      weight: spec.weight,
    },
    message: z === null ? `${head} ${noCalibrationNote(KIND)}` : `${head}, z=${signedFixed(z, 2)}σ vs null`,
  });
}

const SEARCH = {
  name: 'search_web',
  description: 'Search the web.',
  parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
};
const CALC = {
  name: 'calculator',
  description: 'Add two numbers.',
  parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
};

export const toolUseFidelityProbe: ProbeDefinition<ToolUseFidelitySpec> = {
  kind: KIND,
  category: 'attribution',
  schema: toolUseFidelitySchema as unknown as ProbeDefinition<ToolUseFidelitySpec>['schema'],
  needsBackend: true,
  summary: 'Schema-valid, correctly named JSON tool calls: ft vs base validity, hallucinated tools, argument drift.',
  run: runToolUseFidelity,
  calibrateSpec: () =>
    toolUseFidelitySchema.parse({
      name: '_calibration',
      cases: [
        { prompt: 'Search the web for the capital of France.', tool_spec: SEARCH, gold_tool_name: 'search_web' },
        { prompt: 'Add 2 and 2.', tool_spec: CALC, gold_tool_name: 'calculator' },
      ],
    }),
};
