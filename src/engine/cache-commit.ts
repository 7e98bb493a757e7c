/**
 * Committing a staged warm-start entry without making the command wait: syncing its weight
 * file to disk takes seconds on ordinary disks when it holds hundreds of MB (a checkpoint
 * that could not be hard-linked is copied into it), so a detached child
 * process does it — it takes the staging folder over under its own pid (so another sway
 * process does not remove it as stale), syncs, writes meta.json and renames the folder into
 * place (session-cache.ts commitEntry). Where the child cannot be started (this module is
 * not compiled JS, e.g. under the test runner), the commit runs in this process and the
 * caller awaits it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { commitEntry, dropEntry } from './session-cache.js';

const SELF = fileURLToPath(import.meta.url);

/** Starts the commit; resolves at once when a child took it over, else when it is done here. */
export function commitInBackground(root: string, key: string, staged: string, hasOverrides: boolean): Promise<unknown> {
  if (SELF.endsWith('.js') && existsSync(SELF)) {
    try {
      const child = spawn(process.execPath, [SELF, root, key, staged, hasOverrides ? '1' : '0'], { detached: true, stdio: 'ignore' });
      child.on('error', () => dropEntry(staged));
      child.unref();
      return Promise.resolve(true);
    } catch {
      // fall through: commit in this process
    }
  }
  return commitEntry(root, key, staged, hasOverrides);
}

/** Child side: adopt the staging folder under this pid, then commit it. */
async function adoptAndCommit(root: string, key: string, staged: string, hasOverrides: boolean): Promise<void> {
  const mine = join(dirname(staged), basename(staged).replace(/^\.([0-9a-f]+)\.\d+\./, `.$1.${process.pid}.`));
  try {
    await rename(staged, mine);
  } catch {
    dropEntry(staged);
    return;
  }
  await commitEntry(root, key, mine, hasOverrides);
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const [root, key, staged, flag] = process.argv.slice(2) as [string, string, string, string];
  void adoptAndCommit(root, key, staged, flag === '1');
}
