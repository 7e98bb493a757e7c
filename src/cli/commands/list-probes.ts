import type { Command } from 'commander';
import { allProbes } from '../../probes/registry.js';

/** `sway list-probes`: every registered probe kind with its category. */
export function register(program: Command): void {
  program
    .command('list-probes')
    .description('list every probe kind with its category and what it measures')
    .action(() => {
      const rows = allProbes().sort((a, b) => a.kind.localeCompare(b.kind));
      const w = Math.max(...rows.map((r) => r.kind.length));
      for (const r of rows) process.stdout.write(`${r.kind.padEnd(w)}  ${r.category.padEnd(11)}  ${r.summary}\n`);
    });
}
