/**
 * Runs the user's `--on-fail` command through the shell when the gate fails, with the
 * history file's path in SWAY_RESULT_PATH. Fire-and-forget: the watch loop never waits
 * on a notification script, but a non-zero exit or a spawn failure is reported.
 */
import { spawn } from 'node:child_process';

export type HookRunner = (command: string, env: Record<string, string>) => void;

export function shellHookRunner(log: (line: string) => void): HookRunner {
  return (command, env) => {
    const child = spawn(command, { shell: true, stdio: 'ignore', env: { ...process.env, ...env } });
    child.on('error', (err) => log(`on-fail hook could not start: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (code !== 0) log(`on-fail hook exited with ${signal ?? `code ${code}`}: ${command}`);
    });
    child.unref();
  };
}
