// A ServeRuntime over a scripted backend: enough spec parsing to key the cache, a load
// delay to make warm vs cold visible, and close() bookkeeping for eviction tests.
import { parse } from 'yaml';
import type { DifferentialBackend, ScoringView } from '../../src/backends/contract.js';
import { SpecValidationError } from '../../src/core/errors.js';
import type { ModelKey } from '../../src/serve/backend-cache.js';
import type { ServeRuntime } from '../../src/serve/runtime.js';

export interface FakeWorld {
  runtime: ServeRuntime;
  loads: ModelKey[];
  closed: ModelKey[];
  /** Highest number of tasks that were inside one backend at the same time. */
  maxConcurrentPerBackend: () => number;
}

function view(id: string): ScoringView {
  const fail = () => Promise.reject(new Error('not scripted'));
  return {
    id,
    logprobOf: async (prompt, completion) => -(prompt.length + completion.length) / (id === 'ft' ? 10 : 5),
    rollingLogprob: fail,
    nextTokenDist: fail,
    nextTokenDistBatch: fail,
    generate: fail,
  };
}

export function fakeWorld(options: { loadMs?: number; runMs?: number } = {}): FakeWorld {
  const loads: ModelKey[] = [];
  const closed: ModelKey[] = [];
  let maxInside = 0;
  const runtime: ServeRuntime = {
    async prepare(specText, specPath) {
      let doc: unknown;
      try {
        doc = parse(specText);
      } catch (err) {
        throw new SpecValidationError(`invalid YAML: ${(err as Error).message}`, specPath);
      }
      const ft = (doc as { models?: { ft?: { kind?: string; base?: string; adapter?: string } } } | null)?.models?.ft;
      if (!ft || typeof ft.base !== 'string') throw new SpecValidationError('models.ft.base is required', specPath);
      const suite = (doc as { suite?: { name: string }[] }).suite;
      const prompts = (suite ? suite.map((e) => e.name) : ((doc as { prompts?: string[] }).prompts ?? ['hello'])).map(String);
      return {
        model: { kind: ft.kind ?? 'hf', base: ft.base, adapter: ft.adapter ?? null, dtype: 'auto', device: 'auto' },
        async execute(backend) {
          if (!backend) throw new Error('expected a cached backend');
          const b = backend as DifferentialBackend & { inside: number };
          b.inside += 1;
          maxInside = Math.max(maxInside, b.inside);
          try {
            const base = await backend.asBase(async (v) => Promise.all(prompts.map((p) => v.logprobOf(p, ' world'))));
            if (options.runMs) await new Promise((r) => setTimeout(r, options.runMs));
            const ftv = await backend.asFinetuned(async (v) => Promise.all(prompts.map((p) => v.logprobOf(p, ' world'))));
            const report = { probes: prompts.map((p, i) => ({ name: p, raw: (ftv[i] ?? 0) - (base[i] ?? 0) })), spec_path: specPath };
            return JSON.stringify(report, null, 2);
          } finally {
            b.inside -= 1;
          }
        },
      };
    },
    async loadBackend(model) {
      if (model.base === 'explode') throw new Error('weights are corrupt');
      if (options.loadMs) await new Promise((r) => setTimeout(r, options.loadMs));
      loads.push(model);
      const backend: DifferentialBackend & { inside: number } = {
        kind: model.kind,
        inside: 0,
        asBase: (fn) => fn(view('base')),
        asFinetuned: (fn) => fn(view('ft')),
        close: async () => {
          closed.push(model);
        },
      };
      return backend;
    },
  };
  return { runtime, loads, closed, maxConcurrentPerBackend: () => maxInside };
}

export function specYaml(base: string, prompts: string[] = ['hello']): string {
  return `version: 1\nmodels:\n  base: {kind: hf, base: ${base}}\n  ft: {kind: hf, base: ${base}, adapter: /adapters/${base}}\nprompts: [${prompts.join(', ')}]\n`;
}
