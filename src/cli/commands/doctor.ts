import '../../engine/ort-privacy.js'; // before onnxruntime-node is loaded below
import { createRequire } from 'node:module';
import type { Command } from 'commander';
import { SWAY_VERSION } from '../../core/version.js';
import { SUPPORTED_FAMILIES } from '../../engine/families.js';
import { defaultCacheDir, summariseCache } from '../../engine/session-cache.js';
import { allProbes } from '../../probes/registry.js';
import { createHttpBackendFromSpec } from '../../backends/http/index.js';
import { loadSpecFile } from '../../suite/load.js';

/** `--spec`: for each http/api model of the spec, what the server serves and where each view comes from. */
async function serverViews(specPath: string): Promise<Record<string, unknown>> {
  const { spec } = loadSpecFile(specPath);
  const out: Record<string, unknown> = {};
  const sides = spec.defaults.differential ? (['ft'] as const) : (['base', 'ft'] as const);
  for (const side of sides) {
    const m = spec.models[side];
    if (m.kind !== 'http' && m.kind !== 'api') {
      out[side] = { kind: m.kind, note: 'local backend; views are computed in-process' };
      continue;
    }
    const b = await createHttpBackendFromSpec(m);
    try {
      out[side] = { kind: m.kind, base_url: b.options.baseUrl, ...b.describeViews(), warnings: b.warnings };
    } finally {
      await b.close();
    }
  }
  return out;
}

function pkgVersion(name: string): string | null {
  try {
    return (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

/** `sway doctor`: versions and what this installation can do. */
/** The engine's warm-start cache: folder, entries, their own bytes and the checkpoint files they link. */
function cacheInfo(): { dir: string | null; entries: number; own_bytes: number; linked_files: string[] } {
  const c = summariseCache(defaultCacheDir());
  return { dir: c.dir, entries: c.entries, own_bytes: c.ownBytes, linked_files: c.linkedFiles };
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('print versions, available backends, model families and probe kinds')
    .option('--json', 'print one JSON document')
    .option('--spec <file>', 'also contact the http/api servers of this spec: served models and which views each offers')
    .action(async (flags: { json?: boolean; spec?: string }) => {
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
          http: { available: true, note: 'OpenAI-compatible /v1/completions servers (vLLM, llama.cpp-family); kind: api is the same backend' },
        },
        tokenizers: pkgVersion('@huggingface/tokenizers'),
        // config.json model_type values the local engine runs (the family table, src/engine/families.ts).
        families: [...SUPPORTED_FAMILIES],
        probe_kinds: allProbes().map((p) => p.kind).sort(),
        engine_cache: cacheInfo(),
        ...(flags.spec ? { servers: await serverViews(flags.spec) } : {}),
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
      process.stdout.write(`\nfamilies (config.json model_type): ${payload.families.join(', ')}\n  others are refused with exit 2; docs/engine.md lists them and why\n`);
      process.stdout.write(`\nprobes: ${payload.probe_kinds.join(', ')}\n`);
      const c = payload.engine_cache;
      process.stdout.write(
        c.dir === null
          ? '\nengine warm-start cache: off (SWAY_ENGINE_CACHE)\n'
          : `\nengine warm-start cache: ${c.dir}\n  ${c.entries} entr${c.entries === 1 ? 'y' : 'ies'}, ${(c.own_bytes / 1048576).toFixed(1)} MB of their own${c.linked_files.length ? `; hard links to ${c.linked_files.join(', ')}` : ''}\n`,
      );
      for (const [side, info] of Object.entries(payload.servers ?? {})) {
        const i = info as { kind: string; base_url?: string; served?: string[]; flavor?: string; views?: Record<string, string | null>; note?: string; warnings?: string[] };
        process.stdout.write(`\nmodels.${side} (${i.kind}${i.base_url ? ` at ${i.base_url}` : ''})\n`);
        if (i.note) process.stdout.write(`  ${i.note}\n`);
        if (i.served) process.stdout.write(`  served: ${i.served.join(', ') || '(not listed)'}\n  server: ${i.flavor}\n`);
        for (const [id, src] of Object.entries(i.views ?? {})) process.stdout.write(`  ${id.padEnd(18)} ${src ?? 'not offered — probes needing it SKIP'}\n`);
        for (const w of i.warnings ?? []) process.stdout.write(`  warning: ${w}\n`);
      }
    });
}
