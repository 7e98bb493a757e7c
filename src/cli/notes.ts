/** Prints what the spec loader filled in for the user, one `sway: note:` line each on stderr. */
import type { LoadedSpec } from '../suite/load.js';

export function printLoadNotes(loaded: LoadedSpec, quiet = false): void {
  if (quiet) return;
  for (const note of loaded.notes ?? []) process.stderr.write(`sway: note: ${loaded.specPath}: ${note}\n`);
}
