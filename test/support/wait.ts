/** Event-driven waits for tests: resolve on the event itself, never after a fixed sleep. */
import { existsSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Resolves when `path` exists. Watches its directory, so the file should appear in one
 * step (written elsewhere and renamed into place) if the caller reads it right away.
 * `limitMs` only bounds a test that would otherwise hang; nothing waits for it.
 */
export function waitForFile(path: string, limitMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const watcher = watch(dirname(path), (_event, name) => {
      if ((name === null || name === basename(path)) && existsSync(path)) finish();
    });
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`${path} did not appear within ${limitMs} ms`));
    }, limitMs);
    function finish(): void {
      clearTimeout(timer);
      watcher.close();
      resolve();
    }
    if (existsSync(path)) finish();
  });
}
