/**
 * `sway autogen`: a ready sway.yaml for a .dlm document — which probes fit the document
 * (instruction pairs, prose, preferences), with the reference's constants — written with
 * a header that says where it came from and which probes were left out and why.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { SwayError } from '../../core/errors.js';
import { SWAY_VERSION } from '../../core/version.js';
import { lookupProbe } from '../../probes/registry.js';
import type { DlmHandle } from './resolve.js';

const STYLE_PROMPTS = [
  'Write a short paragraph explaining your approach to a difficult problem.',
  'Describe what you find most interesting about a topic you know well.',
  'Summarize an important idea for a curious novice.',
  'Reflect on a small lesson you learned recently.',
  'Explain a concept using a concrete example.',
  'Tell a brief story that illustrates a single point.',
];

const INTENT: Record<string, string> = {
  paraphrase_invariance: 'does the lift on taught answers survive rewording of the question?',
  preference_flip: 'did the fine-tune flip the preference pairs the base ranked wrongly?',
  style_fingerprint: 'did generated prose move stylistically toward the document?',
  calibration_drift: 'is general knowledge intact (200 short facts)?',
  external_perplexity: 'is ordinary English prose still modelled as well as before?',
  leakage: 'can the model recite the document verbatim from a prefix?',
  null_adapter: 'noise floor: random adapters of the same shape calibrate every later probe',
  delta_kl: 'did the adapter move next-token distributions on the document prompts?',
  adapter_revert: 'under paraphrase, does the fine-tune keep the taught answer or revert to the base?',
  prompt_collapse: 'does the effect survive irrelevant context in front of the prompt?',
  section_internalization: 'did each section move the model on its own content more than on the others?',
  adapter_ablation: 'does the effect scale sensibly with the adapter multiplier?',
};

export function auto3(p: string): string[] {
  const s = p.replace(/[?.\s]+$/, '');
  return [`Could you explain: ${s}?`, `I'd like to know — ${s}.`, `Please describe: ${s}.`];
}

/**
 * `specDir` is the folder the spec will be written to: `dlm_source` is written relative
 * to it (the loader resolves it against the spec file), or absolute when the document
 * lies more than one level above it.
 */
export function autogenSpec(h: DlmHandle, specDir = process.cwd(), now = new Date()): string {
  if (!h.adapterPath) {
    throw new SwayError(`${h.path}: no trained adapter found in the dlm store for ${h.dlmId ?? 'this document'}; train the document with \`dlm train\` before generating a sway suite.`, 'SWAY_DLM', 2);
  }
  if (!h.baseModel) throw new SwayError(`${h.path}: front matter has no base_model`, 'SWAY_DLM', 2);
  const pairs = h.sections.filter((s) => s.kind === 'instruction').flatMap((s) => s.probes);
  const prose = h.sections.filter((s) => s.kind === 'prose' && s.content.trim());
  const prosePrompts = prose.map((s) => s.content.split('.')[0]!.trim()).filter(Boolean).map((p) => `${p}.`);
  const klPrompts = (pairs.length ? pairs.map((p) => p.prompt) : prosePrompts).slice(0, 16);
  const suite: Record<string, unknown>[] = [{ name: 'null_baseline', kind: 'null_adapter', runs: 3 }];
  const skipped: [string, string][] = [];
  if (klPrompts.length) suite.push({ name: 'delta_kl_doc', kind: 'delta_kl', prompts: klPrompts, assert_mean_gte: 0.02 });
  else skipped.push(['delta_kl', 'no instruction probes or prose sections']);
  if (pairs.length) suite.push({ name: 'revert_check', kind: 'adapter_revert', cases: pairs.slice(0, 8).map((p) => ({ prompt: p.prompt, gold: p.gold, paraphrases: auto3(p.prompt) })), assert_revert_rate_lt: 0.3 });
  else skipped.push(['adapter_revert', 'no Q/A pairs in INSTRUCTION sections']);
  if (klPrompts.length) suite.push({ name: 'prompt_collapse', kind: 'prompt_collapse', prompts: klPrompts.slice(0, 4), context_lengths: [0, 256, 512, 1024], assert_half_life_tokens: 300 });
  else skipped.push(['prompt_collapse', 'no prompts available to score']);
  if (h.sections.length >= 2) suite.push({ name: 'section_attribution', kind: 'section_internalization', per_section_threshold: 0.05 });
  else skipped.push(['section_internalization', 'document has fewer than 2 sections']);
  if (pairs.length) suite.push({ name: 'paraphrase_invariance', kind: 'paraphrase_invariance', cases: pairs.slice(0, 6).map((p) => ({ prompt: p.prompt, gold: p.gold, paraphrases: auto3(p.prompt) })) });
  else skipped.push(['paraphrase_invariance', 'no Q/A pairs in INSTRUCTION sections']);
  if (h.sections.some((s) => s.kind === 'preference' && s.preferences.length)) suite.push({ name: 'preference_flip', kind: 'preference_flip', assert_flip_rate_gte: 0.7 });
  else skipped.push(['preference_flip', 'no PREFERENCE sections with populated triples']);
  suite.push({ name: 'style_shift', kind: 'style_fingerprint', prompts: STYLE_PROMPTS });
  suite.push({ name: 'general_knowledge', kind: 'calibration_drift' });
  if (prose.length) {
    suite.push({ name: 'external_ppl', kind: 'external_perplexity', corpus: 'public_domain_en', max_chunks: 8 });
    suite.push({ name: 'verbatim_leak', kind: 'leakage', prefix_chars: 128, continuation_chars: 256 });
  } else {
    skipped.push(['external_perplexity', 'no PROSE sections'], ['leakage', 'no PROSE sections']);
  }
  const pool = [...new Set([...pairs.map((p) => p.prompt), ...prosePrompts])].slice(0, 64);
  if (pool.length >= 20) suite.push({ name: 'cluster_kl_topics', kind: 'cluster_kl', prompts: pool, num_clusters: 5, min_prompts: 20 });
  else skipped.push(['cluster_kl', `only ${pool.length} distinct prompts in pool (need ≥ 20 for stable clustering)`]);
  if (klPrompts.length) suite.push({ name: 'adapter_ablation', kind: 'adapter_ablation', prompts: klPrompts.slice(0, 6), lambdas: [0.0, 0.25, 0.5, 0.75, 1.0, 1.25] });
  else skipped.push(['adapter_ablation', 'no prompts available to score']);
  for (const e of suite) if (!lookupProbe(e['kind'] as string)) throw new SwayError(`autogen produced unknown probe kind ${String(e['kind'])}`, 'SWAY_RUNTIME', 3);
  const rel = relative(resolve(specDir), h.path);
  const ups = rel.split(/[\\/]/).filter((seg) => seg === '..').length;
  const dlmSource = !isAbsolute(rel) && ups <= 1 ? rel : resolve(h.path);
  const doc = {
    version: 1,
    models: { base: { kind: 'hf', base: h.baseModel }, ft: { kind: 'hf', base: h.baseModel, adapter: h.adapterPath } },
    defaults: { seed: 0, differential: true },
    suite,
    dlm_source: dlmSource,
  };
  let yaml = stringify(doc, { lineWidth: 0 });
  for (const entry of suite) {
    const intent = INTENT[entry['kind'] as string];
    if (intent) yaml = yaml.replace(`  - name: ${entry['name'] as string}\n`, `  # ${intent}\n  - name: ${entry['name'] as string}\n`);
  }
  const header = [
    '# sway.yaml — auto-generated by `sway autogen`',
    `# source:   ${h.path}`,
    `# dlm_id:   ${h.dlmId ?? '-'}`,
    `# base:     ${h.baseModel}`,
    `# adapter:  ${h.adapterPath}`,
    `# generated: ${now.toISOString().replace(/\.\d{3}Z$/, '+00:00')}`,
    `# sway:     ${SWAY_VERSION}`,
    '#',
    '# Edit freely: this file is yours. Re-running `sway autogen` overwrites it.',
    '# Commit it so changes to the suite show up in review.',
  ];
  if (skipped.length) {
    header.push('#', `# ${skipped.length} probe(s) intentionally omitted for this document:`);
    for (const [k, why] of skipped) header.push(`# skipped: ${k} (${why})`);
    header.push('# Omitted probes do not fail the gate.');
  }
  return `${header.join('\n')}\n\n${yaml}`;
}
