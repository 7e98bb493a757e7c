/**
 * The float64 reference forward against an independent numpy implementation
 * (golden/reference_numpy.py, written from the HF modeling code): biases, GQA, llama3
 * and linear RoPE scaling, sliding windows from `sliding_window` and `layer_types`,
 * qwen3 q/k norms with head_dim ≠ hidden/heads, tied and untied heads.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { archSpecFromConfig } from '../../../src/engine/config.js';
import { referenceForward } from '../../../src/engine/reference/index.js';

interface GoldenCase {
  name: string;
  config: Record<string, unknown>;
  tensors: [string, number[]][];
  logits: number[];
  finalHidden: number[];
}

const golden = JSON.parse(readFileSync(path.join(import.meta.dirname, 'golden', 'reference-golden.json'), 'utf8')) as {
  tokens: number[];
  cases: GoldenCase[];
};

// The same 32-bit LCG and per-name seeding as the Python script (products stay below 2^53, so exact).
const M = 4294967296;
const lcgNext = (x: number): number => (1664525 * x + 1013904223) % M;

function nameSeed(name: string): number {
  let x = 2166136261 % M;
  for (const ch of name) x = lcgNext((x + ch.codePointAt(0)!) % M);
  return x;
}

function tensor(name: string, shape: number[]): Float64Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  let x = nameSeed(name);
  for (let i = 0; i < n; i++) {
    x = lcgNext(x);
    const u = (x / M - 0.5) * 2 * Math.sqrt(3);
    if (name.endsWith('norm.weight')) out[i] = 1 + 0.1 * u;
    else if (name.endsWith('.bias')) out[i] = 0.05 * u;
    else if (name.includes('embed_tokens') || name === 'lm_head.weight') out[i] = u;
    else out[i] = 0.15 * u;
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('reference forward vs independent numpy implementation', () => {
  it('covers the four families', () => {
    expect(golden.cases.map((c) => c.config.model_type)).toEqual(['llama', 'mistral', 'qwen2', 'qwen3']);
  });

  for (const c of golden.cases) {
    it(c.name, () => {
      const arch = archSpecFromConfig(c.config, `golden/${c.name}/config.json`);
      const weights = new Map(c.tensors.map(([name, shape]) => [name, tensor(name, shape)]));
      const requested = new Set<string>();
      const out = referenceForward(arch, (name) => {
        requested.add(name);
        const w = weights.get(name);
        if (!w) throw new Error(`reference asked for '${name}', which the numpy model does not have`);
        return w;
      }, golden.tokens);
      // Every tensor of the numpy model is used (no bias or norm silently skipped).
      expect([...weights.keys()].filter((n) => !requested.has(n))).toEqual([]);
      expect(maxAbsDiff(out.finalHidden, c.finalHidden)).toBeLessThan(1e-10);
      expect(maxAbsDiff(out.logits, c.logits)).toBeLessThan(1e-9);
    });
  }

  it('is sensitive to the details it checks (a wrong window fails)', () => {
    const c = golden.cases.find((x) => x.config.model_type === 'mistral')!;
    const arch = archSpecFromConfig({ ...c.config, sliding_window: 4 }, 'golden/mistral/config.json');
    const weights = new Map(c.tensors.map(([name, shape]) => [name, tensor(name, shape)]));
    const out = referenceForward(arch, (name) => weights.get(name)!, golden.tokens);
    expect(maxAbsDiff(out.logits, c.logits)).toBeGreaterThan(1e-3);
  });
});
