import type { Command } from 'commander';
import { SWAY_VERSION } from '../../core/version.js';

/** `sway version`: prints the tool version and the engine's runtime versions. */
export function register(program: Command): void {
  program
    .command('version')
    .description('print sway, Node.js and onnxruntime versions')
    .action(async () => {
      const ortPkg = await import('onnxruntime-node/package.json', { with: { type: 'json' } }).catch(() => null);
      const ortVersion = ortPkg ? (ortPkg.default as { version: string }).version : 'not installed';
      process.stdout.write(`sway ${SWAY_VERSION}\nnode ${process.versions.node}\nonnxruntime-node ${ortVersion}\n`);
    });
}
