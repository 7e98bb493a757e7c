/**
 * Progress on stderr: a redrawn status line on a TTY (at most every 100 ms), one line per
 * finished probe otherwise, nothing with --quiet or under CI.
 */
import type { ProgressEvent } from '../suite/runner.js';

export function progressReporter(quiet: boolean): ((e: ProgressEvent) => void) | undefined {
  if (quiet) return undefined;
  const tty = Boolean(process.stderr.isTTY) && !process.env['CI'];
  const t0 = performance.now();
  let last = 0;
  return (e) => {
    const elapsed = (performance.now() - t0) / 1000;
    if (e.type === 'start') {
      if (!tty) return;
      const now = performance.now();
      if (now - last < 100 && e.index > 0) return;
      last = now;
      const eta = e.index > 0 ? ` eta ${((elapsed / e.index) * (e.total - e.index)).toFixed(0)}s` : '';
      process.stderr.write(`\r\x1b[2K[${e.index + 1}/${e.total}] ${e.name} (${e.kind})  ${elapsed.toFixed(1)}s${eta}`);
    } else if (tty) {
      if (e.index + 1 === e.total) process.stderr.write('\r\x1b[2K');
    } else {
      process.stderr.write(`[${e.index + 1}/${e.total}] ${e.result.name}: ${e.result.verdict} (${e.result.duration_s.toFixed(2)}s)\n`);
    }
  };
}

export function useColor(flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if ('NO_COLOR' in process.env) return false;
  if (process.env['FORCE_COLOR']) return true;
  return Boolean(process.stdout.isTTY) && process.env['TERM'] !== 'dumb';
}
