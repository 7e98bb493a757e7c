/**
 * `sway autogen`: a ready sway.yaml for a trained .dlm document — which probes fit the
 * document's sections, with the fields and constants of the reference generator.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { SwayError } from '../../core/errors.js';
import { SWAY_VERSION } from '../../core/version.js';
import { dlmHome, loadDlmSource, type DlmSource } from './source.js';

export const STYLE_PROMPTS = [
  'Write a short paragraph explaining your approach to a difficult problem.',
  'Describe what you find most interesting about a topic you know well.',
  'Summarize an important idea for a curious novice.',
  'Reflect on a small lesson you learned recently.',
  'Explain a concept using a concrete example.',
  'Tell a brief story that illustrates a single point.',
];

const INTENTS: Readonly<Record<string, string>> = {
  null_adapter: 'calibrate: how much does a random adapter of this shape move the model?',
  delta_kl: 'did the adapter move next-token distributions on the document prompts?',
  adapter_revert: 'does the adapter keep its answers under paraphrase, or revert to base?',
  prompt_collapse: 'does the adapter effect survive long contexts?',
  section_internalization: 'did each section move the model on its own content more than on the others?',
  paraphrase_invariance: 'did it learn the facts, or just the exact wording?',
  preference_flip: 'do preference sections flip the chosen/rejected margin?',
  style_fingerprint: 'did the writing style shift?',
  calibration_drift: 'did general knowledge regress?',
  external_perplexity: 'did perplexity on unrelated public-domain English get worse?',
  leakage: 'can the model recite training prose verbatim (and is that recall brittle)?',
  adapter_ablation: 'how does the effect scale as the adapter is dialled from 0 to 1.25?',
};

/** Three fixed paraphrases of a prompt. */
export function auto3(prompt: string): string[] {
  const s = prompt.replace(/[?. ]+$/, '');
  return [`Could you explain: ${s}?`, `I'd like to know — ${s}.`, `Please describe: ${s}.`];
}

export interface AutogenPlan {
  spec: Record<string, unknown>;
  skipped: { kind: string; reason: string }[];
}

export function planSuite(src: DlmSource, adapterPath: string, dlmSourceField: string): AutogenPlan {
  const pairs = src.sections.filter((s) => s.kind === 'instruction').flatMap((s) => s.probes);
  const proseSections = src.sections.filter((s) => s.kind === 'prose' && s.content.trim() !== '');
  const prosePrompts = proseSections.map((s) => s.content.split('.')[0]!.trim()).filter((p) => p !== '').map((p) => `${p}.`);
  const klPrompts = (pairs.length ? pairs.map((p) => p.prompt) : prosePrompts).slice(0, 16);
  const hasPrefs = src.sections.some((s) => s.kind === 'preference' && s.preferences.length > 0);
  const clusterPool = [...new Set([...pairs.map((p) => p.prompt), ...prosePrompts])].slice(0, 64);
  const suite: Record<string, unknown>[] = [{ name: 'null_baseline', kind: 'null_adapter', runs: 3 }];
  const skipped: { kind: string; reason: string }[] = [];
  const noPrompts = 'no prompts available to score';
  if (klPrompts.length) suite.push({ name: 'delta_kl_doc', kind: 'delta_kl', prompts: klPrompts, assert_mean_gte: 0.02 });
  else skipped.push({ kind: 'delta_kl', reason: 'no instruction probes or prose sections' });
  if (pairs.length) {
    suite.push({
      name: 'revert_check',
      kind: 'adapter_revert',
      cases: pairs.slice(0, 8).map((p) => ({ prompt: p.prompt, gold: p.gold, paraphrases: auto3(p.prompt) })),
      assert_revert_rate_lt: 0.3,
    });
  } else skipped.push({ kind: 'adapter_revert', reason: 'no Q/A pairs in INSTRUCTION sections' });
  if (klPrompts.length) {
    suite.push({ name: 'prompt_collapse', kind: 'prompt_collapse', prompts: klPrompts.slice(0, 4), context_lengths: [0, 256, 512, 1024], assert_half_life_tokens: 300 });
  } else skipped.push({ kind: 'prompt_collapse', reason: noPrompts });
  if (src.sections.length >= 2) suite.push({ name: 'section_attribution', kind: 'section_internalization', per_section_threshold: 0.05 });
  else skipped.push({ kind: 'section_internalization', reason: 'document has fewer than 2 sections' });
  if (pairs.length) {
    suite.push({
      name: 'paraphrase_invariance',
      kind: 'paraphrase_invariance',
      cases: pairs.slice(0, 6).map((p) => ({ prompt: p.prompt, gold: p.gold, paraphrases: auto3(p.prompt) })),
    });
  } else skipped.push({ kind: 'paraphrase_invariance', reason: 'no Q/A pairs in INSTRUCTION sections' });
  if (hasPrefs) suite.push({ name: 'preference_flip', kind: 'preference_flip', assert_flip_rate_gte: 0.7 });
  else skipped.push({ kind: 'preference_flip', reason: 'no PREFERENCE sections with populated triples' });
  suite.push({ name: 'style_shift', kind: 'style_fingerprint', prompts: STYLE_PROMPTS });
  suite.push({ name: 'general_knowledge', kind: 'calibration_drift' });
  if (proseSections.length) {
    suite.push({ name: 'external_ppl', kind: 'external_perplexity', corpus: 'public_domain_en', max_chunks: 8 });
    suite.push({ name: 'verbatim_leak', kind: 'leakage', prefix_chars: 128, continuation_chars: 256 });
  } else {
    skipped.push({ kind: 'external_perplexity', reason: 'no PROSE sections' });
    skipped.push({ kind: 'leakage', reason: 'no PROSE sections' });
  }
  if (clusterPool.length >= 20) suite.push({ name: 'cluster_kl_topics', kind: 'cluster_kl', prompts: clusterPool, num_clusters: 5, min_prompts: 20 });
  else skipped.push({ kind: 'cluster_kl', reason: `only ${clusterPool.length} distinct prompts in pool (need ≥ 20 for stable clustering)` });
  if (klPrompts.length) suite.push({ name: 'adapter_ablation', kind: 'adapter_ablation', prompts: klPrompts.slice(0, 6), lambdas: [0.0, 0.25, 0.5, 0.75, 1.0, 1.25] });
  else skipped.push({ kind: 'adapter_ablation', reason: noPrompts });
  const base = src.baseModel ?? '';
  return {
    spec: {
      version: 1,
      models: { base: { kind: 'hf', base }, ft: { kind: 'hf', base, adapter: adapterPath } },
      defaults: { seed: 0, differential: true },
      suite,
      dlm_source: dlmSourceField,
    },
    skipped,
  };
}

export interface AutogenOptions {
  cwd?: string;
  now?: Date;
  env?: NodeJS.ProcessEnv;
}

/** The sway.yaml text for a .dlm document (throws SwayError when it has no trained adapter). */
export function renderSwayYaml(dlmPath: string, opts: AutogenOptions = {}): string {
  const cwd = opts.cwd ?? process.cwd();
  const src = loadDlmSource(resolve(cwd, dlmPath), opts.env);
  if (!src.adapterPath) {
    throw new SwayError(
      `${dlmPath}: no trained adapter found at ${dlmHome(opts.env)}/store/${src.dlmId ?? '<dlm_id>'}/adapter; train the document with \`dlm train\` before generating a sway suite.`,
      'SWAY_DLM',
      2,
    );
  }
  if (!src.baseModel) {
    throw new SwayError(`${dlmPath}: front matter has no base_model — add 'base_model: hf:<org>/<name>' to the document`, 'SWAY_DLM', 2);
  }
  const rel = relative(cwd, src.path);
  const portable = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : src.path;
  const plan = planSuite(src, src.adapterPath, portable);
  let body = stringify(plan.spec, { indentSeq: false, lineWidth: 0 });
  body = body.replace(/^- name: (.*)\n {2}kind: (\S+)$/gm, (m, _n: string, kind: string) => {
    const intent = INTENTS[kind];
    return intent ? `# ${intent}\n${m}` : m;
  });
  const now = (opts.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, '+00:00');
  const header = [
    '# sway.yaml — auto-generated by `sway autogen`',
    `# source:   ${src.path}`,
    `# dlm_id:   ${src.dlmId ?? ''}`,
    `# base:     ${src.baseModel}`,
    `# adapter:  ${src.adapterPath}`,
    `# generated: ${now}`,
    `# sway:     ${SWAY_VERSION}`,
    '#',
    '# Edit freely: thresholds and prompts are starting points.',
    '# Re-running `sway autogen` overwrites this file.',
    '# Commit it so changes to the suite show up in diffs.',
  ];
  if (plan.skipped.length) {
    header.push('#', `# ${plan.skipped.length} probe(s) intentionally omitted for this document:`);
    for (const s of plan.skipped) header.push(`# skipped: ${s.kind} (${s.reason})`);
    header.push('# Omitted probes do not fail the gate; add them by hand once the document has the material.');
  }
  return `${header.join('\n')}\n\n${body}`;
}
