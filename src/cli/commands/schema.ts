import type { Command } from 'commander';
import { z } from 'zod';
import { specSchema } from '../../suite/deps.js';
import { writeFileAtomic } from '../shared/files.js';

/** The JSON Schema of sway.yaml, generated from the zod schemas (for editor autocomplete). */
export async function swayJsonSchema(): Promise<string> {
  const { schema } = await specSchema();
  const json = z.toJSONSchema(schema as z.ZodType, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const doc = {
    ...json,
    title: 'sway.yaml',
    description: 'Differential test suite for a LoRA fine-tune (dlm-sway). Probe entries under suite: are validated per kind by `sway run --dry-run`.',
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** `sway schema`. */
export function register(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of sway.yaml (add "$schema: ./sway.schema.json" or a yaml-language-server comment for autocomplete)')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .addHelpText('after', '\nExamples:\n  sway schema > sway.schema.json\n  sway schema -o sway.schema.json')
    .action(async (flags: { out?: string }) => {
      const text = await swayJsonSchema();
      if (flags.out) writeFileAtomic(flags.out, text);
      else process.stdout.write(text);
    });
}
