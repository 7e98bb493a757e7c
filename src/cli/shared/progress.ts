/**
 * Progress on stderr while a suite runs: probe name, i/n, elapsed and ETA. On a TTY one
 * line is redrawn (at most every 100 ms); elsewhere one line per finished probe. Quiet
 * with --quiet, and on a TTY-less stderr only when CI is set.
 */
import type { ProgressEvent } from '../../suite/runner.js';

export interface ProgressOptions {
  quiet?: boolean;
  stream?: NodeJS.WriteStream | { isTTY?: boolean; write(s: string): boolean };
  env?: NodeJS.ProcessEnv;
  now?: () => number;
}

function secs(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
}

export function progressReporter(options: ProgressOptions = {}): ((e: ProgressEvent) => void) | undefined {
  const env = options.env ?? process.env;
  const stream = options.stream ?? process.stderr;
  if (options.quiet || (env['CI'] !== undefined && env['CI'] !== '' && env['CI'] !== 'false')) return undefined;
  const now = options.now ?? (() => performance.now() / 1000);
  const tty = !!stream.isTTY;
  let t0 = now();
  let lastDraw = -Infinity;
  let done = 0;
  let total = 0;
  let current = '';
  const draw = (force: boolean): void => {
    const t = now();
    if (!force && (t - lastDraw) * 1000 < 100) return;
    lastDraw = t;
    const elapsed = t - t0;
    const eta = done > 0 ? (elapsed / done) * (total - done) : NaN;
    const line = `sway: [${done}/${total}] ${current}  elapsed ${secs(elapsed)}${Number.isFinite(eta) ? `  eta ${secs(eta)}` : ''}`;
    stream.write(`\r\u001b[2K${line}`);
  };
  return (e) => {
    if (e.type === 'start') {
      t0 = now();
      total = e.total;
    } else if (e.type === 'probe-start') {
      current = `${e.name} (${e.kind})`;
      if (tty) draw(false);
    } else if (e.type === 'probe-end') {
      done = e.index + 1;
      if (tty) draw(false);
      else stream.write(`sway: [${done}/${e.total}] ${e.result.name} ${e.result.verdict} (${e.result.duration_s.toFixed(2)}s, elapsed ${secs(now() - t0)})\n`);
    } else if (e.type === 'end' && tty) {
      stream.write('\r\u001b[2K');
    }
  };
}
