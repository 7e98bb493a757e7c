import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { writeTinyFixtures } from '../../engine/fixtures/tiny-suite.js';
import { SUPPORTED_FAMILIES, type Family } from '../../engine/types.js';

/** `sway fixture tiny`: writes the tiny model and fixture adapters (no downloads). */
export function register(program: Command): void {
  const fixture = program.command('fixture').description('generate local test fixtures (tiny models and PEFT adapters)');
  fixture
    .command('tiny')
    .description('write a tiny random model (DIR/base) and PEFT adapters (DIR/adapters/{trained,random,modules-to-save,dora})')
    .requiredOption('--out <dir>', 'output directory (replaced atomically)')
    .option('--family <family>', `architecture: ${SUPPORTED_FAMILIES.join(', ')}`, 'llama')
    .option('--seed <n>', 'seed for every random tensor', '0')
    .addHelpText('after', '\nExample:\n  sway fixture tiny --out ./fx --family qwen3 --seed 1\n  sway score --base ./fx/base --adapter ./fx/adapters/trained --view ft --prompt "The sky is"')
    .action((flags: { out: string; family: string; seed: string }) => {
      if (!(SUPPORTED_FAMILIES as readonly string[]).includes(flags.family)) {
        throw new UsageError(`--family must be one of ${SUPPORTED_FAMILIES.join(', ')}, got '${flags.family}'`);
      }
      const seed = Number(flags.seed);
      if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got '${flags.seed}'`);
      const p = writeTinyFixtures(flags.out, { family: flags.family as Family, seed });
      process.stdout.write(`wrote ${p.base}\n      ${p.trained}\n      ${p.random}\n      ${p.modulesToSave}\n      ${p.dora}\n`);
    });
}
