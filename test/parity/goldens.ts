/**
 * Reads the goldens that parity/goldens.py wrote with transformers + PEFT, and measures
 * sway's engine against them: per view, the largest |Δ| over the golden top-50 next-token
 * logprobs, the full-vocabulary maximum, and the completion logprob sums.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../src/engine/engine.js';
import type { ViewSpec } from '../../src/engine/views.js';

export const PARITY_DIR = fileURLToPath(new URL('../fixtures/parity/', import.meta.url));
export const modelDir = (model: string): string => `${PARITY_DIR}models/${model}`;
export const adapterDir = (model: string, adapter: string): string => `${PARITY_DIR}adapters/${model}/${adapter}`;

export const VIEWS: Record<string, ViewSpec> = {
  base: { kind: 'base' },
  ft: { kind: 'ft' },
  'scale_0.5': { kind: 'scaled', lambda: 0.5 },
  scale_2: { kind: 'scaled', lambda: 2 },
};
export const VIEW_NAMES = Object.keys(VIEWS);

interface ViewGolden {
  next_token: { top_ids: number[]; top_logprobs: number[]; max: number }[];
  completion_sums: number[];
}

export interface LogprobGolden {
  model: string;
  adapter: string;
  model_type: string;
  prompts: { text: string; ids: number[] }[];
  pairs: { prompt: string; completion: string; prompt_ids: number[]; full_ids: number[] }[];
  views: Record<string, ViewGolden>;
}

export interface TokenizerGolden {
  encode: { text: string; ids: number[]; ids_no_special: number[] }[];
  chat: { messages: { role: string; content: string }[]; rendered: string; rendered_generation_prompt: string };
}

export interface Manifest {
  models: { name: string; model_class: string; dtype: string; tokenizer: string; adapters: string[] }[];
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export const manifest = (): Manifest => readJson<Manifest>(`${PARITY_DIR}manifest.json`);
export const logprobGolden = (model: string, adapter: string): LogprobGolden => readJson(`${PARITY_DIR}goldens/${model}/${adapter}.json`);
export const tokenizerGolden = (model: string): TokenizerGolden => readJson(`${PARITY_DIR}goldens/${model}/tokenizer.json`);
export const hasGoldens = (): boolean => existsSync(`${PARITY_DIR}manifest.json`);

export interface ViewDelta {
  /** max |Δ| over the golden top-50 ids and the full-vocabulary maximum. */
  nextToken: number;
  /** max |Δ| over the completion logprob sums. */
  completion: number;
}

export interface Measurement {
  views: Record<string, ViewDelta>;
  /** Prompt/pair token ids that differ from the ones transformers produced (should be none). */
  idMismatches: string[];
  warnings: string[];
}

/** Loads base + adapter in sway's engine and measures every view against the goldens. */
export async function measure(model: string, adapter: string): Promise<Measurement> {
  const golden = logprobGolden(model, adapter);
  const engine = await Engine.load({ base: modelDir(model), adapter: adapterDir(model, adapter), threads: 1 });
  try {
    const idMismatches: string[] = [];
    const same = (a: number[], b: number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
    for (const p of golden.prompts) if (!same(engine.encode(p.text), p.ids)) idMismatches.push(p.text);
    for (const p of golden.pairs) {
      if (!same(engine.encode(p.prompt), p.prompt_ids) || !same(engine.encode(p.prompt + p.completion), p.full_ids)) idMismatches.push(p.prompt + p.completion);
    }
    const specs = VIEW_NAMES.map((v) => VIEWS[v] as ViewSpec);
    const V = engine.arch.vocabSize;
    const dists = await engine.nextTokenDists(specs, golden.prompts.map((p) => p.text), V);
    const sums = await engine.logprobsOf(specs, golden.pairs);
    const views: Record<string, ViewDelta> = {};
    VIEW_NAMES.forEach((name, vi) => {
      const g = golden.views[name];
      if (!g) throw new Error(`${model}/${adapter}: golden has no view '${name}'`);
      let nextToken = 0;
      g.next_token.forEach((gp, pi) => {
        const d = dists[vi]![pi]!;
        const byId = new Map<number, number>();
        d.tokenIds.forEach((id, k) => byId.set(id, d.logprobs[k] as number));
        gp.top_ids.forEach((id, k) => (nextToken = Math.max(nextToken, Math.abs((byId.get(id) ?? -Infinity) - (gp.top_logprobs[k] as number)))));
        nextToken = Math.max(nextToken, Math.abs((d.logprobs[0] as number) - gp.max));
      });
      const completion = Math.max(...g.completion_sums.map((s, pi) => Math.abs((sums[vi]![pi] as number) - s)));
      views[name] = { nextToken, completion };
    });
    return { views, idMismatches, warnings: engine.adapter?.warnings ?? [] };
  } finally {
    await engine.close();
  }
}

export const worstDelta = (m: Measurement): number => Math.max(...Object.values(m.views).flatMap((v) => [v.nextToken, v.completion]));
