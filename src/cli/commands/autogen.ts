import type { Command } from 'commander';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { autogenSpec } from '../../suite/dlm/autogen.js';
import { resolveDlm } from '../../suite/dlm/resolve.js';
import { loadSpecText } from '../../suite/load.js';
import { dirname, resolve } from 'node:path';

/** `sway autogen DOC.dlm -o sway.yaml`: a ready suite for a .dlm document. */
export function register(program: Command): void {
  program
    .command('autogen')
    .description('write a ready sway.yaml for a .dlm document (base model, current adapter, fitting probes)')
    .argument('<dlm>', 'the .dlm document')
    .option('-o, --out <file>', 'output spec', 'sway.yaml')
    .addHelpText('after', '\nThe adapter is read from the dlm store ($DLM_HOME, default ~/.dlm).\nExample:\n  sway autogen notes.dlm -o sway.yaml && sway run sway.yaml')
    .action((dlm: string, flags: { out: string }) => {
      const specDir = dirname(resolve(flags.out));
      const text = autogenSpec(resolveDlm(dlm), specDir);
      // The generated spec must load: validate before writing.
      loadSpecText(text, flags.out, specDir);
      writeFileAtomic(flags.out, text);
      process.stdout.write(`wrote ${flags.out}\n`);
    });
}
