/**
 * multi_turn_coherence_decay: builds a synthetic dialogue with the fine-tuned model and
 * measures how the base-vs-ft divergence decays over turns (half-life in turns).
 */
import { z } from 'zod';
import type { ChatMessage, TokenizerAccess } from '../../backends/contract.js';
import { divergence, KL_DIRECTION } from '../../core/divergence.js';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import type { TokenDist, Verdict } from '../../core/results.js';
import { linearFit, mean } from '../../core/stats.js';
import { baseFields, distsForViews, pyFloat, requireBackend } from '../common.js';
import type { ProbeDefinition } from '../types.js';

export const MultiTurnSpec = z
  .object({
    ...baseFields,
    kind: z.literal('multi_turn_coherence_decay'),
    prompts: z.array(z.string()).default([]),
    max_turns: z.number().int().min(2).max(8).default(4),
    max_new_tokens: z.number().int().positive().default(96),
    follow_ups: z.array(z.string()).min(1).default(['Continue.', 'Tell me more.', 'Can you elaborate?', 'What else?', 'Go deeper.', 'Expand on that.', 'And then?']),
    divergence: z.enum(['js', 'kl']).default('kl'),
    top_k: z.number().int().positive().nullable().default(null),
    assert_half_life_turns: z.number().default(2.0),
  })
  .strict();
export type MultiTurnSpec = z.infer<typeof MultiTurnSpec>;

const BARS = '▁▂▃▄▅▆▇█';

export function sparkline(values: readonly number[]): string {
  const ok = values.filter((v) => Number.isFinite(v) && v >= 0);
  if (!values.length || !ok.length) return '';
  const lo = Math.min(...ok);
  const hi = Math.max(...ok);
  return values
    .map((v) => {
      if (!Number.isFinite(v) || v < 0) return '?';
      if (hi - lo <= 1e-12) return BARS[4];
      return BARS[Math.max(0, Math.min(7, Math.floor(((v - lo) / (hi - lo)) * 7)))];
    })
    .join('');
}

export function fitHalfLifeTurns(turns: readonly number[], kls: readonly number[], maxTurns: number): [number | null, string] {
  let xs = [...turns];
  let ys = [...kls];
  if (!ys.every((y) => y > 0)) {
    const keep = ys.map((y, i) => [xs[i]!, y] as const).filter(([, y]) => y > 0);
    if (keep.length < 2) return [0, 'degenerate'];
    xs = keep.map(([x]) => x);
    ys = keep.map(([, y]) => y);
  }
  const m = mean(ys);
  if (m > 0 && (Math.max(...ys) - Math.min(...ys)) / m < 1e-3) return [maxTurns * 10, 'stable'];
  const fit = linearFit(xs, ys.map(Math.log));
  if (!fit || fit.slope > 0) return [null, 'non_monotonic'];
  const h = Math.LN2 * (-1 / fit.slope);
  if (!Number.isFinite(h) || h >= maxTurns * 10) return [maxTurns * 10, 'stable'];
  return [h, 'ok'];
}

function format(messages: readonly ChatMessage[], tok: TokenizerAccess): string {
  try {
    return tok.applyChatTemplate(messages, true);
  } catch {
    return `${messages.map((m) => `${m.role.toUpperCase()}: ${m.content}`).join('\n')}\nASSISTANT:`;
  }
}

export const multiTurnCoherenceDecay: ProbeDefinition<MultiTurnSpec> = {
  kind: 'multi_turn_coherence_decay',
  category: 'adherence',
  schema: MultiTurnSpec,
  needsBackend: true,
  summary: 'half-life (in dialogue turns) of the adapter effect over a synthetic conversation',
  async run(spec, ctx) {
    if (!spec.prompts.length) return plainResult(spec.name, spec.kind, 'error', "no prompts provided (inline 'prompts' was empty)", { weight: spec.weight });
    const backend = requireBackend(ctx, spec.name);
    const tok = backend.tokenizer?.() ?? null;
    if (!tok || !tok.hasChatTemplate()) return plainResult(spec.name, spec.kind, 'skip', 'base has no chat_template; multi-turn dialogue requires one', { weight: spec.weight });
    const steps = spec.max_turns - 1;
    const perTurn: number[][] = Array.from({ length: steps }, () => []);
    const gen = (prompt: string) => backend.asFinetuned((v) => v.generate(prompt, { maxNewTokens: spec.max_new_tokens }));
    for (const prompt of spec.prompts) {
      const msgs: ChatMessage[] = [{ role: 'user', content: prompt }];
      msgs.push({ role: 'assistant', content: await gen(format(msgs, tok)) });
      for (let t = 0; t < steps; t++) {
        msgs.push({ role: 'user', content: spec.follow_ups[t % spec.follow_ups.length] as string });
        const chat = format(msgs, tok);
        const [[b], [f]] = (await distsForViews(backend, [{ kind: 'base' }, { kind: 'ft' }], [chat], spec.top_k ?? ctx.topK)) as [[TokenDist], [TokenDist]];
        perTurn[t]!.push(divergence(b, f, spec.divergence));
        if (t < steps - 1) msgs.push({ role: 'assistant', content: await gen(chat) });
      }
    }
    const means = perTurn.map(mean);
    const turns = Array.from({ length: steps }, (_, i) => i + 2);
    const [h, status] = fitHalfLifeTurns(turns, means, spec.max_turns);
    const spark = sparkline(means);
    let verdict: Verdict;
    let score: number;
    let message: string;
    if (status === 'non_monotonic') [verdict, score, message] = ['warn', 0.5, `non-monotonic KL across turns (adapter grew more distinct); curve ${spark}`];
    else if (status === 'degenerate') [verdict, score, message] = ['fail', 0, `KL is zero across all turns (probable no-op adapter); curve ${spark}`];
    else if (h === null) [verdict, score, message] = ['error', 0, `could not fit decay curve (status=${status}); curve ${spark}`];
    else if (status === 'stable') [verdict, score, message] = ['pass', 1, `adapter held coherence across all ${spec.max_turns} turns; curve ${spark}`];
    else {
      const ok = h >= spec.assert_half_life_turns;
      [verdict, score, message] = [ok ? 'pass' : 'fail', Math.min(1, h / Math.max(spec.assert_half_life_turns, 1e-6)), `half-life=${h.toFixed(2)} turns (${ok ? '≥' : '<'} ${pyFloat(spec.assert_half_life_turns)}); curve ${spark}`];
    }
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict,
      score,
      raw: h !== null && Number.isFinite(h) ? h : null,
      message,
      criticalFields: [],
      evidence: {
        per_turn_kls: means,
        turns_axis: turns,
        fit_status: status,
        divergence_kind: spec.divergence,
        ...(spec.divergence === 'kl' ? { divergence_direction: KL_DIRECTION } : {}),
        max_turns: spec.max_turns,
        num_prompts: spec.prompts.length,
        weight: spec.weight,
        sparkline: spark,
      },
    });
  },
};
