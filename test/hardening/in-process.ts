/** Runs the CLI in this process (no spawn) and captures what it writes to stdout and stderr. */
import { main } from '../../src/cli/main.js';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

export async function swayIn(args: string[]): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const origOut = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  const prevNoColor = process.env['NO_COLOR'];
  const prevCi = process.env['CI'];
  process.env['NO_COLOR'] = '1';
  process.env['CI'] = '1';
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = origOut;
    process.stderr.write = origErr;
    if (prevNoColor === undefined) delete process.env['NO_COLOR'];
    else process.env['NO_COLOR'] = prevNoColor;
    if (prevCi === undefined) delete process.env['CI'];
    else process.env['CI'] = prevCi;
  }
}

/** Exit 2 with one `sway: error:` line and no stack trace; returns that line. */
export function oneLineError(r: Captured): string {
  if (r.code !== 2) throw new Error(`expected exit 2, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  if (lines.length !== 1 || !lines[0]!.startsWith('sway: error: ') || /\n\s+at /.test(r.stderr)) throw new Error(`expected one error line, got:\n${r.stderr}`);
  return lines[0]!;
}
