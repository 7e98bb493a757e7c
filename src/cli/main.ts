/**
 * Entry point of the `sway` command line. Parses arguments with commander, dispatches to
 * one module per command under commands/, and turns every SwayError into one line on
 * stderr plus its exit code (0 ok, 1 gate failure, 2 usage/spec/input error, 3 runtime).
 * No stack traces reach the user; anything that is not a SwayError is an internal error.
 */
import { Command, CommanderError } from 'commander';
import { isSwayError } from '../core/errors.js';
import { SWAY_VERSION } from '../core/version.js';
import { COMMANDS } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('sway')
    .description(
      'Differential testing for fine-tuned causal language models: did the adapter change ' +
        'behaviour beyond what a random adapter of the same shape does?',
    )
    .version(SWAY_VERSION, '--version', 'print the sway version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
    });
  program.addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 gate/verdict failure, 2 usage, spec or input error, 3 runtime error.',
  );
  for (const register of COMMANDS) register(program);
  return program;
}

/** Runs the CLI and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let exitCode = 0;
  program.hook('postAction', (_thisCommand, actionCommand) => {
    const code = (actionCommand as Command & { swayExitCode?: number }).swayExitCode;
    if (typeof code === 'number') exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        return 0;
      }
      return err.exitCode === 0 ? 0 : 2;
    }
    if (isSwayError(err)) {
      process.stderr.write(`sway: error: ${err.message}\n`);
      return err.exitCode;
    }
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`sway: internal error: ${msg}\n(set SWAY_DEBUG=1 for a stack trace)\n`);
    if (process.env['SWAY_DEBUG'] && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return 3;
  }
}

/** Commands call this to set the exit code without throwing (e.g. a failed gate = 1). */
export function setExitCode(command: Command, code: number): void {
  (command as Command & { swayExitCode?: number }).swayExitCode = code;
}
