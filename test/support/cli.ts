/**
 * Running the CLI from tests. `swayIn` calls the library entry `main(argv)` in this
 * process with stdout/stderr captured (fast: no node start, no module load per case);
 * `sway` spawns the built binary (npm test builds first) for the one smoke test per
 * command that proves the real process behaves the same.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { main } from '../../src/cli/main.js';
import { SwayError } from '../../src/core/errors.js';

export const BIN = resolve(import.meta.dirname, '../../bin/sway.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  cwd?: string;
  input?: string;
}

const BASE_ENV = { NO_COLOR: '1', CI: '1' };

export function sway(args: string[], options: CliOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...BASE_ENV, ...options.env },
    cwd: options.cwd,
    input: options.input,
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let busy = false;

/**
 * `sway ARGS` in-process: same exit code and output as the binary for everything main()
 * handles. Environment and working directory are set for the call and restored after;
 * calls must not overlap (they share process.stdout), which is checked.
 */
export async function swayIn(args: string[], options: CliOptions = {}): Promise<CliResult> {
  if (options.input !== undefined) throw new Error('swayIn does not feed stdin; use sway() for that case');
  if (busy) throw new Error('swayIn calls must not overlap: they capture the process streams');
  busy = true;
  const out: string[] = [];
  const err: string[] = [];
  const capture = (sink: string[]) =>
    ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown) => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') (done as () => void)();
      return true;
    }) as typeof process.stdout.write;
  const writes = { out: process.stdout.write, err: process.stderr.write };
  const env = { ...BASE_ENV, ...options.env };
  const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const cwd = process.cwd();
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  Object.assign(process.env, env);
  if (options.cwd) process.chdir(options.cwd);
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    process.chdir(cwd);
    busy = false;
  }
}

/** One clear line on stderr, no stack trace. */
export function expectCleanError(r: CliResult): string {
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'));
  if (r.code !== 2) throw new Error(`expected exit 2, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  if (/\n\s+at /.test(r.stderr) || r.stderr.includes('internal error')) throw new Error(`stack trace or internal error:\n${r.stderr}`);
  if (!lines[0]?.startsWith('sway: error: ')) throw new Error(`unexpected stderr: ${r.stderr}`);
  return lines.join('\n');
}

/** Exit 2 with exactly one `sway: error:` line and no stack trace; returns that line. */
export function oneLineError(r: CliResult): string {
  if (r.code !== 2) throw new Error(`expected exit 2, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  if (lines.length !== 1 || !lines[0]!.startsWith('sway: error: ') || /\n\s+at /.test(r.stderr)) throw new Error(`expected one error line, got:\n${r.stderr}`);
  return lines[0]!;
}

/** The SwayError `fn` throws; anything else (or nothing) fails the test. */
export function thrownSwayError(fn: () => unknown): SwayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SwayError) return err;
    throw err;
  }
  throw new Error('expected a SwayError');
}
