/**
 * multi_turn_coherence_decay: does the adapter's effect survive a synthetic multi-turn
 * chat? Both views score the same ft-generated history; the per-turn divergence curve is
 * fitted for a half-life in turns.
 */
import { z } from 'zod';
import type { ChatMessage, TokenizerAccess } from '../backends/contract.js';
import { divergence } from '../core/divergence.js';
import { plainResult, safeFinalize } from '../core/finalize.js';
import { fixed, pyFloat } from '../core/pyformat.js';
import { laxFloat, laxInt } from '../core/schema.js';
import { lsSlope, mean } from '../core/stats.js';
import { requireBackend } from './context.js';
import { probeSchema } from './spec-base.js';
import type { ProbeDefinition, RunContext } from './types.js';
import { baseAndFtDists } from './views.js';

export const DEFAULT_FOLLOW_UPS = ['Continue.', 'Tell me more.', 'Can you elaborate?', 'What else?', 'Go deeper.', 'Expand on that.', 'And then?'];

export const multiTurnSchema = probeSchema('multi_turn_coherence_decay', {
  prompts: z.array(z.string()).default([]),
  max_turns: laxInt.pipe(z.number().min(2).max(8)).default(4),
  max_new_tokens: laxInt.default(96),
  follow_ups: z.array(z.string()).min(1).default(DEFAULT_FOLLOW_UPS),
  divergence: z.enum(['js', 'kl']).default('kl'),
  top_k: laxInt.nullable().default(null),
  assert_half_life_turns: laxFloat.default(2.0),
});
export type MultiTurnSpec = z.output<typeof multiTurnSchema>;

const BARS = '▁▂▃▄▅▆▇█';

export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const ok = values.filter((v) => Number.isFinite(v) && v >= 0);
  if (ok.length === 0) return '';
  const lo = Math.min(...ok);
  const hi = Math.max(...ok);
  const span = hi - lo;
  if (span <= 1e-12) return BARS[4]!.repeat(values.length);
  return values
    .map((v) => {
      if (!Number.isFinite(v) || v < 0) return '?';
      return BARS[Math.max(0, Math.min(7, Math.floor(((v - lo) / span) * 7)))];
    })
    .join('');
}

export type FitStatus = 'ok' | 'stable' | 'non_monotonic' | 'degenerate';

export function fitHalfLifeTurns(turns: readonly number[], kls: readonly number[], maxTurns: number): [number | null, FitStatus] {
  let x = [...turns];
  let y = [...kls];
  if (!y.every((v) => v > 0)) {
    const keep = y.map((v) => v > 0);
    if (keep.filter(Boolean).length < 2) return [0.0, 'degenerate'];
    x = x.filter((_, i) => keep[i]);
    y = y.filter((_, i) => keep[i]);
  }
  const m = mean(y);
  const cap = maxTurns * 10;
  if (m > 0 && (Math.max(...y) - Math.min(...y)) / m < 1e-3) return [cap, 'stable'];
  const slope = lsSlope(x, y.map(Math.log));
  if (slope === null || slope > 0) return [null, 'non_monotonic'];
  const h = Math.LN2 * (-1 / slope);
  if (!Number.isFinite(h) || h >= cap) return [cap, 'stable'];
  return [h, 'ok'];
}

function render(tok: TokenizerAccess, msgs: readonly ChatMessage[]): string {
  try {
    return tok.applyChatTemplate(msgs, true);
  } catch {
    return [...msgs.map((m) => `${m.role.toUpperCase()}: ${m.content}`), 'ASSISTANT:'].join('\n');
  }
}

async function run(spec: MultiTurnSpec, ctx: RunContext) {
  const started = performance.now();
  if (spec.prompts.length === 0) {
    return plainResult(spec.name, spec.kind, 'error', "no prompts provided (inline 'prompts' was empty)", { weight: spec.weight });
  }
  const backend = requireBackend(ctx, spec.name);
  const tok = backend.tokenizer?.() ?? null;
  if (!tok || !tok.hasChatTemplate()) {
    return plainResult(spec.name, spec.kind, 'skip', 'base has no chat_template; multi-turn dialogue requires one', { weight: spec.weight });
  }
  const topK = spec.top_k ?? ctx.topK;
  const gen = { maxNewTokens: spec.max_new_tokens, temperature: 0, seed: ctx.seed };
  const nTurns = spec.max_turns - 1;
  const perTurn: number[][] = Array.from({ length: nTurns }, () => []);
  for (const prompt of spec.prompts) {
    const msgs: ChatMessage[] = [{ role: 'user', content: prompt }];
    const first = await backend.asFinetuned((v) => v.generate(render(tok, msgs), gen));
    msgs.push({ role: 'assistant', content: first });
    for (let t = 0; t < nTurns; t++) {
      msgs.push({ role: 'user', content: spec.follow_ups[t % spec.follow_ups.length] as string });
      const chat = render(tok, msgs);
      const [[b], [f]] = await baseAndFtDists(backend, [chat], topK);
      perTurn[t]!.push(divergence(b!, f!, spec.divergence));
      if (t < nTurns - 1) msgs.push({ role: 'assistant', content: await backend.asFinetuned((v) => v.generate(chat, gen)) });
    }
  }
  const meanKls = perTurn.map((xs) => mean(xs));
  const turns = Array.from({ length: nTurns }, (_, i) => i + 2);
  const [h, status] = fitHalfLifeTurns(turns, meanKls, spec.max_turns);
  const spark = sparkline(meanKls);
  let verdict: 'pass' | 'fail' | 'warn' | 'error';
  let score: number;
  let message: string;
  if (status === 'non_monotonic') {
    [verdict, score, message] = ['warn', 0.5, `non-monotonic KL across turns (adapter grew more distinct); curve ${spark}`];
  } else if (status === 'degenerate') {
    [verdict, score, message] = ['fail', 0.0, `KL is zero across all turns (probable no-op adapter); curve ${spark}`];
  } else if (h === null) {
    [verdict, score, message] = ['error', 0.0, `could not fit decay curve (status=${status}); curve ${spark}`];
  } else if (status === 'stable') {
    [verdict, score, message] = ['pass', 1.0, `adapter held coherence across all ${turns.at(-1)} turns; curve ${spark}`];
  } else {
    const target = spec.assert_half_life_turns;
    const ok = h >= target;
    verdict = ok ? 'pass' : 'fail';
    score = Math.min(1, h / Math.max(target, 1e-6));
    message = `half-life=${fixed(h, 2)} turns (${ok ? '≥' : '<'} ${pyFloat(target)}); curve ${spark}`;
  }
  return safeFinalize({
    name: spec.name,
    kind: spec.kind,
    verdict,
    score,
    raw: h !== null && Number.isFinite(h) ? h : null,
    evidence: {
      per_turn_kls: meanKls,
      turns_axis: turns,
      fit_status: status,
      divergence_kind: spec.divergence,
      max_turns: spec.max_turns,
      num_prompts: spec.prompts.length,
      weight: spec.weight,
      sparkline: spark,
    },
    message,
    duration_s: (performance.now() - started) / 1000,
  });
}

export const multiTurnCoherenceProbe: ProbeDefinition<MultiTurnSpec> = {
  kind: 'multi_turn_coherence_decay',
  category: 'adherence',
  schema: multiTurnSchema,
  needsBackend: true,
  summary: 'Half-life (turns) of the adapter effect over a synthetic multi-turn chat (needs a chat template).',
  run,
  calibrateSpec: () => null,
};
