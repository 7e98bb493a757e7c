import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { writeTinyFixtures } from '../../engine/fixtures/tiny-suite.js';
import { toTerminal } from '../../report/terminal.js';
import { demoSpecYaml } from '../../suite/demo-specs.js';
import { executeSpec, loadSpecFile } from '../../suite/execute.js';
import { writeOutputs } from '../outputs.js';
import { printWarning, progressReporter, useColor } from '../progress.js';

/** `sway demo`: tiny fixtures generated locally, two calibrated suites, no downloads. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('generate a tiny model and adapters locally and run a calibrated suite on a trained and on a random adapter')
    .option('--out <dir>', 'where to write fixtures, specs and reports (default: a new temp directory)')
    .option('--quiet', 'no progress on stderr')
    .option('--no-color', 'plain text output')
    .addHelpText('after', '\nThe trained adapter should land in the healthy band with a passing delta_kl;\nthe random one (same shapes, no intended effect) should land in the noise band.')
    .action(async (flags: { out?: string; quiet?: boolean; color?: boolean }) => {
      const root = flags.out ? resolve(flags.out) : mkdtempSync(join(tmpdir(), 'sway-demo-'));
      if (!flags.quiet) process.stderr.write(`sway demo: writing fixtures to ${root}\n`);
      const fx = writeTinyFixtures(join(root, 'fixtures'));
      for (const [label, adapter] of [['trained', fx.trained], ['random', fx.random]] as const) {
        const specPath = join(root, `sway-${label}.yaml`);
        writeFileAtomic(specPath, demoSpecYaml(fx.base, adapter));
        const loaded = loadSpecFile(specPath);
        const reporter = progressReporter(Boolean(flags.quiet));
        const { suite, score } = await executeSpec(loaded, { onWarning: printWarning, ...(reporter ? { onProgress: reporter } : {}) });
        writeOutputs({ json: join(root, `report-${label}.json`), html: join(root, `report-${label}.html`), markdown: join(root, `report-${label}.md`) }, suite, score);
        process.stdout.write(`\n=== demo: adapters/${label} ===\n`);
        process.stdout.write(toTerminal(suite, score, { color: useColor(flags.color) }));
      }
      process.stdout.write(`\nspecs and reports (JSON, Markdown, HTML) are in ${root}\n`);
    });
}
