import type { Command } from 'commander';
import { renderSwayYaml } from '../../suite/dlm/autogen.js';
import { writeFileAtomic } from '../shared/files.js';

/** `sway autogen DOC.dlm [-o sway.yaml]`: generate a ready suite for a trained .dlm document. */
export function register(program: Command): void {
  program
    .command('autogen')
    .description('generate a sway.yaml for a trained .dlm document (probes chosen from its sections)')
    .argument('<dlm>', '.dlm document whose adapter was trained with `dlm train`')
    .option('-o, --out <file>', 'where to write the suite', 'sway.yaml')
    .addHelpText(
      'after',
      '\nThe adapter is found through $DLM_HOME (default ~/.dlm)/store/<dlm_id>/adapter/current.txt.\n' +
        'Example:\n  sway autogen notes.dlm -o sway.yaml && sway run sway.yaml',
    )
    .action((dlm: string, opts: { out: string }) => {
      writeFileAtomic(opts.out, renderSwayYaml(dlm));
      process.stdout.write(`wrote ${opts.out}\n`);
    });
}
