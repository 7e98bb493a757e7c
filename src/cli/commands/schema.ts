import type { Command } from 'commander';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { swaySpecJsonSchema } from '../../suite/spec-json-schema.js';

/** `sway schema`: the JSON Schema of sway.yaml (for editor autocomplete). */
export function register(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of sway.yaml, generated from the validation schemas')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .addHelpText('after', '\nStart a spec with\n  # yaml-language-server: $schema=./sway.schema.json\nto get completion in editors.')
    .action((flags: { out?: string }) => {
      const text = `${JSON.stringify(swaySpecJsonSchema(), null, 2)}\n`;
      if (flags.out) writeFileAtomic(flags.out, text);
      else process.stdout.write(text);
    });
}
