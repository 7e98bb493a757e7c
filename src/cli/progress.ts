/**
 * Progress on stderr: a redrawn status line (probe, i/n, items done inside a long probe,
 * elapsed, ETA; at most every 100 ms) when stderr is a terminal; nothing when it is not,
 * under CI, or with --quiet.
 */
import type { ProgressEvent } from '../suite/runner.js';

export function progressReporter(quiet: boolean): ((e: ProgressEvent) => void) | undefined {
  const tty = Boolean(process.stderr.isTTY) && !process.env['CI'];
  if (quiet || !tty) return undefined;
  return progressLine((text) => process.stderr.write(text));
}

/** The status line's renderer, writing through `write` (tests pass their own). */
export function progressLine(write: (text: string) => void, now: () => number = () => performance.now()): (e: ProgressEvent) => void {
  const t0 = now();
  let last = 0;
  return (e) => {
    const t = now();
    const elapsed = (t - t0) / 1000;
    if (e.type === 'done') {
      if (e.index + 1 === e.total) write('\r\x1b[2K');
      return;
    }
    // A probe's first line always shows; later ones (and item counts) at most every 100 ms.
    if (t - last < 100 && (e.type === 'item' || e.index > 0)) return;
    last = t;
    const eta = e.index > 0 ? ` eta ${((elapsed / e.index) * (e.total - e.index)).toFixed(0)}s` : '';
    const items = e.type === 'item' ? `  ${e.done}/${e.of} ${e.unit}` : '';
    write(`\r\x1b[2K[${e.index + 1}/${e.total}] ${e.name} (${e.kind})${items}  ${elapsed.toFixed(1)}s${eta}`);
  };
}

export function useColor(flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if ('NO_COLOR' in process.env) return false;
  if (process.env['FORCE_COLOR']) return true;
  return Boolean(process.stdout.isTTY) && process.env['TERM'] !== 'dumb';
}

/** The one way the CLI shows a warning: one line on stderr (also under --quiet; warnings are not progress). */
export function printWarning(message: string): void {
  process.stderr.write(`sway: warning: ${message}\n`);
}

/** printWarning for commands that run a suite more than once (diff, watch): each text is shown once. */
export function printEachWarningOnce(): (message: string) => void {
  const seen = new Set<string>();
  return (message) => {
    if (seen.has(message)) return;
    seen.add(message);
    printWarning(message);
  };
}
