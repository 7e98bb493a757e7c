import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { Engine } from '../../engine/engine.js';
import { printWarning } from '../progress.js';
import type { ViewSpec } from '../../engine/views.js';
import { fixed } from '../fixed.js';

/** Parses `base`, `ft`, `scale=0.5`, `null:seed=3,rank=2[,init=0.02]`. */
export function parseViewFlag(raw: string): ViewSpec {
  if (raw === 'base' || raw === 'ft') return { kind: raw };
  const scale = /^scale=(.+)$/.exec(raw);
  if (scale) {
    const lambda = Number(scale[1]);
    if (!Number.isFinite(lambda)) throw new UsageError(`--view ${raw}: scale must be a number (e.g. scale=0.5)`);
    return { kind: 'scaled', lambda };
  }
  const nul = /^null(?::(.*))?$/.exec(raw);
  if (nul) {
    const opts: Record<string, number> = { seed: 0, rank: 1, init: 0.02 };
    for (const part of (nul[1] ?? '').split(',').filter(Boolean)) {
      const [k, v] = part.split('=');
      if (!k || !(k in opts) || v === undefined || !Number.isFinite(Number(v))) {
        throw new UsageError(`--view ${raw}: expected null:seed=N,rank=M[,init=S]`);
      }
      opts[k] = Number(v);
    }
    if (!Number.isInteger(opts['seed'])) throw new UsageError(`--view ${raw}: seed must be an integer`);
    if (!(opts['rank']! > 0)) throw new UsageError(`--view ${raw}: rank (rank_scale) must be > 0`);
    return { kind: 'null', seed: opts['seed']!, rankScale: opts['rank']!, initScale: opts['init']! };
  }
  throw new UsageError(`--view must be base, ft, scale=<lambda> or null:seed=N,rank=M — got '${raw}'`);
}

interface ScoreFlags {
  base?: string;
  adapter?: string;
  view: string;
  prompt: string;
  completion?: string;
  topK: string;
  json?: boolean;
}

/** `sway score`: one view, one prompt — the debugging window into the engine. */
export function register(program: Command): void {
  program
    .command('score')
    .description('print the next-token top-k (and a completion logprob) for one view of a local model + adapter')
    .option('--base <model>', 'base model directory or HF id in the local cache (default: the adapter\'s base_model_name_or_path)')
    .option('--adapter <dir>', 'PEFT adapter directory')
    .option('--view <view>', 'base | ft | scale=<lambda> | null:seed=N,rank=M', 'ft')
    .requiredOption('--prompt <text>', 'prompt text (tokenized as the model\'s tokenizer does, special tokens included)')
    .option('--completion <text>', 'also print the total logprob (nats) of this completion after the prompt')
    .option('--top-k <k>', 'number of next tokens to list', '10')
    .option('--json', 'print one JSON document')
    .addHelpText('after', '\nExamples:\n  sway score --base ./fx/base --adapter ./fx/adapters/trained --view ft --prompt "The sky is" --completion " green"\n  sway score --adapter ./fx/adapters/trained --view null:seed=3,rank=2 --prompt "The sky is" --json')
    .action(async (flags: ScoreFlags) => {
      const view = parseViewFlag(flags.view);
      const topK = Number(flags.topK);
      if (!Number.isInteger(topK) || topK < 1) throw new UsageError(`--top-k must be a positive integer, got '${flags.topK}'`);
      if (view.kind !== 'base' && !flags.adapter) throw new UsageError(`--view ${flags.view} needs --adapter`);
      const engine = await Engine.load({ ...(flags.base ? { base: flags.base } : {}), adapter: flags.adapter ?? null });
      try {
        for (const w of engine.adapter?.warnings ?? []) printWarning(w);
        const dist = (await engine.nextTokenDists([view], [flags.prompt], topK))[0]?.[0];
        if (!dist) throw new UsageError('the prompt produced no distribution');
        const completion = flags.completion !== undefined ? ((await engine.logprobsOf([view], [{ prompt: flags.prompt, completion: flags.completion }]))[0]?.[0] ?? null) : null;
        const top = Array.from(dist.tokenIds, (id, i) => ({ token_id: id, token: engine.tokenizer.tokenText(id), logprob: dist.logprobs[i] as number }));
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ view: flags.view, prompt: flags.prompt, top_k: top, tail_logprob: dist.tailLogprob, vocab_size: dist.vocabSize, ...(completion !== null ? { completion: flags.completion, completion_logprob: completion } : {}) }, null, 2)}\n`);
        } else {
          process.stdout.write(`view ${flags.view} — next token after ${JSON.stringify(flags.prompt)}\n`);
          for (const t of top) process.stdout.write(`  ${String(t.token_id).padStart(6)}  ${fixed(t.logprob, 4).padStart(9)}  ${JSON.stringify(t.token)}\n`);
          process.stdout.write(`  tail_logprob ${dist.tailLogprob === null ? 'null' : fixed(dist.tailLogprob, 4)}\n`);
          if (completion !== null) process.stdout.write(`completion ${JSON.stringify(flags.completion)} logprob ${fixed(completion, 4)} nats\n`);
        }
      } finally {
        await engine.close();
      }
    });
}
