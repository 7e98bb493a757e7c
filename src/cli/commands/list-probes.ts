import type { Command } from 'commander';
import { probeRegistry } from '../../suite/deps.js';

/** `sway list-probes`: every registered probe kind with its category and a one-line summary. */
export function register(program: Command): void {
  program
    .command('list-probes')
    .description('list every probe kind with its score category and what it measures')
    .addHelpText('after', '\nExample:\n  sway list-probes')
    .action(async () => {
      const registry = await probeRegistry();
      const defs = registry.listProbes().sort((a, b) => (a.kind < b.kind ? -1 : 1));
      const kw = Math.max(4, ...defs.map((d) => d.kind.length));
      const cw = Math.max(8, ...defs.map((d) => d.category.length));
      const lines = [`${'kind'.padEnd(kw)}  ${'category'.padEnd(cw)}  ${'needs model'.padEnd(11)}  summary`];
      for (const d of defs) lines.push(`${d.kind.padEnd(kw)}  ${d.category.padEnd(cw)}  ${(d.needsBackend ? 'yes' : 'no').padEnd(11)}  ${d.summary}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
