/** Runs the built CLI (npm test builds first) and captures its output. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/sway.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function sway(args: string[], options: { env?: Record<string, string>; cwd?: string; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CI: '1', ...options.env },
    cwd: options.cwd,
    input: options.input,
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** One clear line on stderr, no stack trace. */
export function expectCleanError(r: CliResult): string {
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'));
  if (r.code !== 2) throw new Error(`expected exit 2, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  if (/\n\s+at /.test(r.stderr) || r.stderr.includes('internal error')) throw new Error(`stack trace or internal error:\n${r.stderr}`);
  if (!lines[0]?.startsWith('sway: error: ')) throw new Error(`unexpected stderr: ${r.stderr}`);
  return lines.join('\n');
}
