import '../../engine/ort-privacy.js'; // before onnxruntime-node is loaded below
import { createRequire } from 'node:module';
import type { Command } from 'commander';
import { SWAY_VERSION } from '../../core/version.js';
import { SUPPORTED_FAMILIES } from '../../engine/families.js';
import { allProbes } from '../../probes/registry.js';

function pkgVersion(name: string): string | null {
  try {
    return (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

/** `sway doctor`: versions and what this installation can do. */
export function register(program: Command): void {
  program
    .command('doctor')
    .description('print versions, available backends and probe kinds')
    .option('--json', 'print one JSON document')
    .action(async (flags: { json?: boolean }) => {
      let ortOk = false;
      try {
        const ort = await import('onnxruntime-node');
        ortOk = typeof ort.InferenceSession?.create === 'function';
      } catch {
        ortOk = false;
      }
      const payload = {
        sway_version: SWAY_VERSION,
        node: process.versions.node,
        platform: `${process.platform}-${process.arch}`,
        backends: {
          hf: { available: ortOk, engine: 'onnxruntime-node', version: pkgVersion('onnxruntime-node'), execution_providers: ['cpu'] },
          dummy: { available: true },
          mlx: { available: false, reason: 'Apple MLX is not part of the TypeScript port' },
          api: { available: false, reason: 'not implemented yet' },
        },
        tokenizers: pkgVersion('@huggingface/tokenizers'),
        probe_kinds: allProbes().map((p) => p.kind).sort(),
        /** config.json model_type values the local engine runs (docs/engine.md, "What runs"). */
        model_families: [...SUPPORTED_FAMILIES],
      };
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(payload, null, 2)}\n`);
        return;
      }
      process.stdout.write(`sway ${SWAY_VERSION}\n  node:      ${payload.node}\n  platform:  ${payload.platform}\n\nbackends\n`);
      for (const [name, b] of Object.entries(payload.backends)) {
        const info = b as { available: boolean; version?: string | null; reason?: string };
        process.stdout.write(`  ${name.padEnd(6)} ${info.available ? `available${info.version ? ` (onnxruntime-node ${info.version}, cpu)` : ''}` : `unavailable — ${info.reason ?? 'onnxruntime-node failed to load'}`}\n`);
      }
      process.stdout.write(`\nprobes: ${payload.probe_kinds.join(', ')}\n`);
      process.stdout.write(`model families (hf engine): ${payload.model_families.join(', ')}\n`);
    });
}
