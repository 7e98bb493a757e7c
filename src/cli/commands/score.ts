import type { Command } from 'commander';
import { ProbeError, UsageError } from '../../core/errors.js';
import { Scorer, loadEngine, parseView, type Engine } from '../../engine/index.js';

interface ScoreFlags {
  base: string;
  adapter?: string;
  view: string;
  prompt: string;
  completion?: string;
  topK: string;
  threads?: string;
  json?: boolean;
}

function positiveInt(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got '${raw}'`);
  return n;
}

/** `sway score`: one view of the local engine on one prompt — next-token top-k and optionally a completion's logprob. */
export function register(program: Command): void {
  program
    .command('score')
    .description('score a prompt with the local engine under one view (base, ft, scale=λ, null:seed=S,rank=R)')
    .requiredOption('--base <dir>', 'base model directory or hub id in the local HF cache')
    .option('--adapter <dir>', 'PEFT adapter directory (needed for every view but base)')
    .option('--view <view>', 'base | ft | scale=0.5 | null:seed=3,rank=2', 'ft')
    .requiredOption('--prompt <text>', 'prompt text (tokenized with the model tokenizer, BOS as configured)')
    .option('--completion <text>', 'also print the total logprob of this completion after the prompt')
    .option('--top-k <k>', 'how many next tokens to list', '10')
    .option('--threads <n>', 'onnxruntime intra-op threads (default: all cores)')
    .option('--json', 'print one JSON object instead of a table')
    .addHelpText(
      'after',
      '\nExamples:\n  sway score --base ./tiny/base --adapter ./tiny/adapters/trained --view ft --prompt "The capital of France is"\n' +
        '  sway score --base ./tiny/base --adapter ./tiny/adapters/trained --view scale=0.5 --prompt "Hi" --completion " there" --json',
    )
    .action(async (flags: ScoreFlags) => {
      const view = parseView(flags.view);
      const topK = positiveInt('--top-k', flags.topK);
      const threads = flags.threads === undefined ? undefined : positiveInt('--threads', flags.threads);
      if (view.kind !== 'base' && !flags.adapter) throw new UsageError(`--view ${flags.view} needs --adapter DIR (only --view base runs without one)`);
      const engine: Engine = await loadEngine({ base: flags.base, adapter: flags.adapter ?? null, threads });
      try {
        const scorer = new Scorer(engine.session, engine.tokenizer);
        const feeds = engine.views.feeds(view);
        const [dist] = await scorer.nextTokenDists([{ view: feeds, prompt: flags.prompt }], topK);
        const completion = flags.completion === undefined ? null : (await scorer.logprobs([{ view: feeds, prompt: flags.prompt, completion: flags.completion }]))[0]!;
        const top = Array.from(dist!.tokenIds, (id, i) => ({ id, text: engine.tokenizer.tokenText(id), logprob: dist!.logprobs[i]! }));
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ view: feeds.key, prompt: flags.prompt, top_k: top, tail_logprob: dist!.tailLogprob, completion: flags.completion ?? null, completion_logprob: completion })}\n`);
          return;
        }
        const lines = [`view ${feeds.key}   prompt ${JSON.stringify(flags.prompt)}`, '  rank  token_id  logprob     token'];
        top.forEach((t, i) => lines.push(`  ${String(i + 1).padStart(4)}  ${String(t.id).padStart(8)}  ${t.logprob.toFixed(4).padStart(9)}   ${JSON.stringify(t.text)}`));
        lines.push(`tail_logprob ${dist!.tailLogprob === null ? 'null (top-k covers the vocabulary)' : dist!.tailLogprob.toFixed(6)}`);
        if (completion !== null) lines.push(`completion ${JSON.stringify(flags.completion)} logprob ${completion.toFixed(6)}`);
        process.stdout.write(`${lines.join('\n')}\n`);
      } catch (err) {
        // scoring-level input problems (empty prompt or completion) are usage errors here
        if (err instanceof ProbeError) throw new UsageError(err.message);
        throw err;
      } finally {
        await engine.close();
      }
    });
}
