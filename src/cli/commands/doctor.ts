import { accessSync, constants, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SWAY_VERSION } from '../../core/version.js';
import { probeRegistry, specSchema } from '../../suite/deps.js';
import { nullCacheDir } from '../../suite/pack/pack.js';
import { setExitCode } from '../main.js';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** false: informational — a failure does not make doctor exit non-zero. */
  required: boolean;
}

async function attempt(name: string, required: boolean, fn: () => Promise<string> | string): Promise<DoctorCheck> {
  try {
    return { name, ok: true, detail: await fn(), required };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message.split('\n')[0] ?? String(err), required };
  }
}

function nearestExisting(p: string): string {
  let cur = p;
  while (!existsSync(cur)) {
    const parent = join(cur, '..');
    if (parent === cur) break;
    cur = parent;
  }
  return cur;
}

export async function runDoctor(): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  checks.push(
    await attempt('node', true, () => {
      const major = Number(process.versions.node.split('.')[0]);
      if (major < 20) throw new Error(`node ${process.versions.node} — sway needs Node 20 or newer`);
      return `node ${process.versions.node}`;
    }),
  );
  checks.push(
    await attempt('onnxruntime-node', true, async () => {
      const ort = (await import('onnxruntime-node')) as { env?: { versions?: Record<string, string> } };
      return `loaded${ort.env?.versions?.['node'] ? ` (${ort.env.versions['node']})` : ''}`;
    }),
  );
  checks.push(await attempt('sway.yaml schema', true, async () => (await specSchema(), 'available')));
  checks.push(
    await attempt('probe registry', true, async () => {
      const defs = (await probeRegistry()).listProbes();
      return `${defs.length} probe kind(s): ${defs.map((d) => d.kind).sort().join(', ')}`;
    }),
  );
  checks.push(
    await attempt('local engine backend (kind: hf)', true, async () => {
      const mod = (await import('../../backends/engine.js' as string)) as Record<string, unknown>;
      if (typeof mod['createEngineBackend'] !== 'function') throw new Error('createEngineBackend missing');
      return 'available';
    }),
  );
  checks.push(
    await attempt('null-stats cache', false, () => {
      const dir = nullCacheDir();
      if (process.env['SWAY_DISABLE_NULL_CACHE'] === '1') return `${dir} (disabled by SWAY_DISABLE_NULL_CACHE)`;
      accessSync(nearestExisting(dir), constants.W_OK);
      return `${dir} (writable)`;
    }),
  );
  checks.push(
    await attempt('Hugging Face cache', false, () => {
      const hub = process.env['HF_HUB_CACHE'] ?? join(process.env['HF_HOME'] ?? join(homedir(), '.cache', 'huggingface'), 'hub');
      return existsSync(hub) ? `${hub}` : `${hub} (absent — pass local model directories or populate it)`;
    }),
  );
  return checks;
}

/** `sway doctor`: what this installation can do. */
export function register(program: Command): void {
  program
    .command('doctor')
    .description('check the installation: Node, onnxruntime, schema, probe registry, engine backend, caches')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExit code 1 when a required check fails.\n\nExamples:\n  sway doctor\n  sway doctor --json')
    .action(async function (this: Command, flags: { json?: boolean }) {
      const checks = await runDoctor();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ sway_version: SWAY_VERSION, checks }, null, 2)}\n`);
      } else {
        const w = Math.max(...checks.map((c) => c.name.length));
        const lines = [`sway ${SWAY_VERSION}`];
        for (const c of checks) lines.push(`${c.ok ? 'ok  ' : c.required ? 'FAIL' : 'warn'}  ${c.name.padEnd(w)}  ${c.detail}`);
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (checks.some((c) => c.required && !c.ok)) setExitCode(this, 1);
    });
}
