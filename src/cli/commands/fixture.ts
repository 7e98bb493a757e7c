import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { FIXTURE_ADAPTERS, writeTinyFixture } from '../../engine/fixtures/index.js';
import { SUPPORTED_FAMILIES, type Family } from '../../engine/types.js';

interface TinyFlags {
  out: string;
  family: string;
  seed: string;
}

/** `sway fixture tiny`: writes a tiny model and fixture adapters for tests, demos and bug reports. */
export function register(program: Command): void {
  const fixture = program.command('fixture').description('generate test fixtures (tiny models and adapters), offline and deterministic');
  fixture
    .command('tiny')
    .description('write a tiny random model (bf16 safetensors, BPE tokenizer, ChatML template) and four PEFT adapters')
    .requiredOption('--out <dir>', 'directory to create (replaced if it exists)')
    .option('--family <family>', `architecture: ${SUPPORTED_FAMILIES.join(', ')}`, 'llama')
    .option('--seed <n>', 'seed for weights and adapters', '0')
    .addHelpText(
      'after',
      '\nWrites DIR/base (the model) and DIR/adapters/{trained,random,modules-to-save,dora}.\n' +
        'The trained adapter raises fixed continuations (listed in its README.md).\n\n' +
        'Examples:\n  sway fixture tiny --out ./tiny\n  sway fixture tiny --out ./tiny-mistral --family mistral --seed 3',
    )
    .action((flags: TinyFlags) => {
      if (!(SUPPORTED_FAMILIES as readonly string[]).includes(flags.family)) {
        throw new UsageError(`--family must be one of ${SUPPORTED_FAMILIES.join(', ')}, got '${flags.family}'`);
      }
      const seed = Number(flags.seed);
      if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
        throw new UsageError(`--seed must be a non-negative 32-bit integer, got '${flags.seed}'`);
      }
      const started = performance.now();
      const result = writeTinyFixture(flags.out, { family: flags.family as Family, seed });
      const ms = Math.round(performance.now() - started);
      process.stderr.write(`wrote ${flags.family} fixture (seed ${seed}) in ${ms} ms\n`);
      process.stdout.write(
        [
          `base            ${path.join(result.dir, 'base')}`,
          ...FIXTURE_ADAPTERS.map((a) => `${a.padEnd(15)} ${path.join(result.dir, 'adapters', a)}`),
          '',
        ].join('\n'),
      );
    });
}
