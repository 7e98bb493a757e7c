import type { Command } from 'commander';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { UsageError } from '../../core/errors.js';
import { chunkCorpus, loadCorpus } from '../../probes/calibration/external-perplexity.js';
import { buildBackend, loadSpecFile } from '../../suite/execute.js';
import { LOCAL_EMBEDDER, mineOutliers, mineParaphrases } from '../../suite/mining/miners.js';

interface MineFlags {
  mode: string;
  out?: string;
  topK: string;
  nCandidates: string;
  fromCorpus?: string;
  seed: string;
}

/** `sway mine SPEC`: hard paraphrases for paraphrase_invariance, or delta_kl outlier prompts. */
export function register(program: Command): void {
  program
    .command('mine')
    .description('mine hard paraphrases (paraphrase_invariance cases) or delta_kl outlier prompts with the spec\'s fine-tuned model')
    .argument('<spec>', 'path to sway.yaml')
    .option('--mode <mode>', 'paraphrase | outliers', 'paraphrase')
    .option('-o, --out <file>', 'output YAML (default sway-mined-<mode>.yaml)')
    .option('--top-k <k>', 'how many to keep', '10')
    .option('--n-candidates <n>', 'paraphrase candidates per case', '50')
    .option('--from-corpus <name>', 'outliers: draw candidate prompts from a shipped corpus (public_domain_en)')
    .option('--seed <n>', 'seed', '0')
    .addHelpText('after', '\nExamples:\n  sway mine sway.yaml --mode paraphrase --top-k 5\n  sway mine sway.yaml --mode outliers --from-corpus public_domain_en')
    .action(async (specPath: string, flags: MineFlags) => {
      if (!['paraphrase', 'outliers'].includes(flags.mode)) throw new UsageError("--mode must be 'paraphrase' or 'outliers'");
      const topK = Number(flags.topK);
      const seed = Number(flags.seed);
      const nCand = Number(flags.nCandidates);
      if (!Number.isInteger(topK) || topK <= 0) throw new UsageError(`--top-k must be a positive integer, got '${flags.topK}'`);
      const loaded = loadSpecFile(specPath);
      const out = flags.out ?? `sway-mined-${flags.mode}.yaml`;
      let doc: Record<string, unknown>;
      let backend;
      if (flags.mode === 'outliers') {
        let pool: string[];
        if (flags.fromCorpus) {
          if (flags.fromCorpus !== 'public_domain_en') throw new UsageError(`unknown corpus '${flags.fromCorpus}'; available: public_domain_en`);
          pool = chunkCorpus(loadCorpus('public_domain_en'), 256, 64);
        } else {
          pool = [...new Set(loaded.spec.suite.filter((e) => e['kind'] === 'delta_kl').flatMap((e) => (Array.isArray(e['prompts']) ? (e['prompts'] as string[]) : [])))];
        }
        if (!pool.length) throw new UsageError('sway mine --outliers: no candidate prompts found. Either add delta_kl prompts to the spec or pass --from-corpus.');
        backend = await buildBackend(loaded.spec.models.ft, loaded);
        doc = { mined_outliers: await mineOutliers(pool, backend, { topK, seed }) };
      } else {
        backend = await buildBackend(loaded.spec.models.ft, loaded);
        const mined = [];
        for (const e of loaded.spec.suite.filter((x) => x['kind'] === 'paraphrase_invariance')) {
          for (const c of (e['cases'] as { prompt?: string; gold?: string }[] | undefined) ?? []) {
            if (!c.prompt || !c.gold) continue;
            const found = await mineParaphrases(c.prompt, c.gold, backend, { topK, nCandidates: Math.max(nCand, topK), seed });
            mined.push({ prompt: c.prompt, gold: c.gold, paraphrases: found.map((f) => f.prompt), _mining_meta: { top_gaps: found.map((f) => Number(f.gap.toFixed(6))), verbatim_lift: found[0] ? Number(found[0].verbatim_lift.toFixed(6)) : null, generator: 'sway-templates+synonyms', embedder: LOCAL_EMBEDDER } });
          }
        }
        doc = { mined_cases: mined };
      }
      await backend.close?.();
      writeFileAtomic(out, stringify(doc, { lineWidth: 0 }));
      process.stdout.write(`wrote ${out}\n`);
    });
}
