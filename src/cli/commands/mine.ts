import { resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { UsageError } from '../../core/errors.js';
import { buildBackend } from '../../suite/backend-factory.js';
import { loadSpecFile } from '../../suite/loader.js';
import { corpusPrompts, mineOutliers } from '../../suite/mining/outliers.js';
import { mineParaphrases } from '../../suite/mining/paraphrases.js';
import { writeFileAtomic } from '../shared/files.js';

interface MineOptions {
  mode: string;
  out?: string;
  topK: string;
  nCandidates: string;
  fromCorpus?: string;
  seed: string;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive integer; got '${value}'`);
  return n;
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** `sway mine SPEC`: harder paraphrases for paraphrase_invariance, or delta_kl outlier prompts. */
export function register(program: Command): void {
  program
    .command('mine')
    .description('mine hard paraphrases (for paraphrase_invariance) or delta_kl outlier prompts from a suite')
    .argument('<spec>', 'sway.yaml whose ft model is loaded')
    .option('--mode <mode>', 'paraphrase | outliers', 'paraphrase')
    .option('-o, --out <file>', 'output YAML (default sway-mined-<mode>.yaml)')
    .option('--top-k <n>', 'how many results to keep', '10')
    .option('--n-candidates <n>', 'candidates generated per prompt (paraphrase mode)', '50')
    .option('--from-corpus <name>', 'outliers mode: score chunks of a shipped corpus (public_domain_en) instead of delta_kl prompts')
    .option('--seed <n>', 'seed of the candidate generator', '0')
    .addHelpText(
      'after',
      '\nParaphrase candidates come from a seeded local generator (question frames + synonym table) and are\n' +
        'diversified with the local character n-gram embedder; no model is downloaded.\n' +
        'Examples:\n  sway mine sway.yaml --top-k 5\n  sway mine sway.yaml --mode outliers --from-corpus public_domain_en --top-k 4',
    )
    .action(async (specPath: string, opts: MineOptions) => {
      if (opts.mode !== 'paraphrase' && opts.mode !== 'outliers') throw new UsageError(`--mode must be paraphrase or outliers; got '${opts.mode}'`);
      const topK = positiveInt(opts.topK, '--top-k');
      const nCandidates = positiveInt(opts.nCandidates, '--n-candidates');
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer; got '${opts.seed}'`);
      const spec = await loadSpecFile(specPath);
      const out = resolve(opts.out ?? `sway-mined-${opts.mode}.yaml`);
      let doc: unknown;
      if (opts.mode === 'outliers') {
        const pool = opts.fromCorpus
          ? corpusPrompts(opts.fromCorpus)
          : [...new Set(spec.suite.filter((e) => e['kind'] === 'delta_kl').flatMap((e) => (Array.isArray(e['prompts']) ? (e['prompts'] as unknown[]).filter((p): p is string => typeof p === 'string') : [])))];
        if (pool.length === 0) {
          throw new UsageError('sway mine --outliers: no candidate prompts found. Either add delta_kl prompts to the spec or pass --from-corpus.');
        }
        const backend = await buildBackend(spec.models.ft, { spec, specPath });
        try {
          const r = await mineOutliers('delta_kl', pool, backend, { topK, seed });
          const fmt = (o: { prompt: string; raw: number; index: number }) => ({ prompt: o.prompt, raw: round6(o.raw), index: o.index });
          doc = { mined_outliers: { probe_kind: 'delta_kl', top: r.top.map(fmt), bottom: r.bottom.map(fmt) } };
        } finally {
          await backend.close?.();
        }
      } else {
        const backend = await buildBackend(spec.models.ft, { spec, specPath });
        const mined: unknown[] = [];
        try {
          for (const entry of spec.suite.filter((e) => e['kind'] === 'paraphrase_invariance')) {
            const cases = Array.isArray(entry['cases']) ? (entry['cases'] as Record<string, unknown>[]) : [];
            for (const c of cases) {
              if (typeof c['prompt'] !== 'string' || typeof c['gold'] !== 'string') continue;
              const r = await mineParaphrases(c['prompt'], c['gold'], backend, { topK, nCandidates: Math.max(nCandidates, topK), seed });
              mined.push({
                prompt: c['prompt'],
                gold: c['gold'],
                paraphrases: r.map((m) => m.prompt),
                _mining_meta: { top_gaps: r.map((m) => round6(m.gap)), verbatim_lift: r[0] ? round6(r[0].verbatim_lift) : null },
              });
            }
          }
        } finally {
          await backend.close?.();
        }
        doc = { mined_cases: mined };
      }
      writeFileAtomic(out, stringify(doc, { lineWidth: 0 }));
      process.stdout.write(`wrote ${out}\n`);
    });
}
