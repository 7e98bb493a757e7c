/** The built-in suites of `sway demo` and `sway check`, as sway.yaml text. */
import { DEFAULT_TRAINED_PAIRS } from '../engine/fixtures/adapters.js';

const q = (s: string) => JSON.stringify(s);

/** Everyday prompts the trained fixture was not built for. */
export const GENERAL_PROMPTS = ['The quick brown fox', 'People write code and', 'Every morning the baker', 'A good report says'];

export function demoSpecYaml(base: string, adapter: string): string {
  const prompts = [...DEFAULT_TRAINED_PAIRS.map((p) => p.prompt)];
  const list = (items: string[]) => items.map((p) => `      - ${q(p)}`).join('\n');
  return `# yaml-language-server: $schema=https://unpkg.com/dlm-sway/sway.schema.json
version: 1
models:
  base: {kind: hf, base: ${q(base)}}
  ft: {kind: hf, base: ${q(base)}, adapter: ${q(adapter)}}
defaults:
  seed: 0
  top_k: 64
suite:
  - name: null_calibration
    kind: null_adapter
    runs: 6
    rank_multipliers: [0.5, 1.0, 2.0]
    cache: false
  - name: taught_prompts
    kind: delta_kl
    prompts:
${list(prompts)}
  - name: ablation
    kind: adapter_ablation
    prompts:
${list(prompts)}
`;
}

export function checkSpecYaml(base: string, adapter: string, prompts: readonly string[]): string {
  const list = prompts.map((p) => `      - ${q(p)}`).join('\n');
  return `version: 1
models:
  base: {kind: hf, base: ${q(base)}}
  ft: {kind: hf, base: ${q(base)}, adapter: ${q(adapter)}}
suite:
  - name: null_calibration
    kind: null_adapter
    runs: 5
  - name: delta
    kind: delta_kl
    prompts:
${list}
  - name: ablation
    kind: adapter_ablation
    prompts:
${list}
`;
}
