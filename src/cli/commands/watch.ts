import { dirname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { setExitCode } from '../main.js';
import { printEachWarningOnce } from '../progress.js';
import { ServeClient } from '../../serve/client.js';
import { fileStamp, fingerprintDir } from '../../serve/watch/fingerprint.js';
import { localWatchRunner } from '../../serve/watch/local-runner.js';
import { shellHookRunner } from '../../serve/watch/on-fail-hook.js';
import { readWatchTarget } from '../../serve/watch/watch-target.js';
import { Watcher, type WatchRunner } from '../../serve/watch/watcher.js';

interface WatchFlags {
  interval: string;
  debounce: string;
  historyDir?: string;
  keep: string;
  onFail?: string;
  threshold?: string;
  adapter?: string;
  serveUrl?: string;
  apiKey?: string;
  once?: boolean;
}

function numberFlag(name: string, raw: string, check: (n: number) => boolean, expected: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`${name} must be ${expected}, got '${raw}'`);
  return n;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      done();
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}

/** `sway watch SPEC`: re-run the spec whenever the adapter directory gets a new version. */
export function register(program: Command): void {
  program
    .command('watch')
    .description('re-run a spec whenever its adapter directory (or the spec) changes, keeping a history of results')
    .argument('<spec>', 'path to sway.yaml')
    .option('--interval <seconds>', 'how often to check the adapter directory', '2')
    .option('--debounce <seconds>', 'quiet time after the last change before a run starts', '1')
    .option('--history-dir <dir>', 'where result files go (default: <spec dir>/.sway/history)')
    .option('--keep <n>', 'newest history files to keep (0 keeps all)', '100')
    .option('--on-fail <command>', 'shell command run when the gate fails or the run errors; SWAY_RESULT_PATH names the result file')
    .option('--threshold <t>', 'gate threshold for the composite (default: the spec coverage_threshold)')
    .option('--adapter <dir>', 'directory to watch (default: models.ft.adapter of the spec)')
    .addOption(new Option('--serve-url <url>', 'run on a warm `sway serve` daemon instead of in-process').env('SWAY_SERVE_URL'))
    .addOption(new Option('--api-key <token>', 'bearer key for --serve-url').env('SWAY_SERVE_API_KEY'))
    .option('--once', 'run once now, write the history file, and exit (0 pass, 1 gate failed, 3 run error)')
    .addHelpText(
      'after',
      `
Examples:
  sway watch sway.yaml
  sway watch sway.yaml --keep 20 --on-fail 'notify-send "sway gate failed" "$SWAY_RESULT_PATH"'
  sway watch sway.yaml --serve-url http://127.0.0.1:8787

Each run writes <history-dir>/<UTC time>-<seq>.result.json: the \`sway run --json\` report plus a
sway_watch block (sequence, verdict, reason, run_seconds, overall_score). Stop with Ctrl-C.`,
    )
    .action(async (spec: string, flags: WatchFlags, command: Command) => {
      const specPath = resolve(spec);
      const intervalMs = numberFlag('--interval', flags.interval, (n) => n > 0, 'a number of seconds > 0') * 1000;
      const debounceMs = numberFlag('--debounce', flags.debounce, (n) => n >= 0, 'a number of seconds >= 0') * 1000;
      const keep = numberFlag('--keep', flags.keep, (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0 (0 keeps all)');
      const target = readWatchTarget(specPath, flags.adapter);
      const threshold =
        flags.threshold !== undefined
          ? numberFlag('--threshold', flags.threshold, (n) => n >= 0 && n <= 1, 'a number in [0, 1]')
          : target.threshold;
      const historyDir = resolve(flags.historyDir ?? join(dirname(specPath), '.sway', 'history'));
      const log = (line: string) => process.stderr.write(`sway watch: ${line}\n`);

      let runner: WatchRunner;
      if (flags.serveUrl) {
        const client = new ServeClient(flags.serveUrl, { apiKey: flags.apiKey ?? null });
        runner = (path) => client.runFile(path);
      } else {
        runner = localWatchRunner(printEachWarningOnce());
      }
      const watcher = new Watcher(
        { specPath, historyDir, keep, threshold, onFailCommand: flags.onFail ?? null, debounceMs },
        {
          runner,
          fingerprint: async () => {
            const adapter = await fingerprintDir(target.adapterDir);
            return adapter === null ? null : `${adapter}|${await fileStamp(specPath)}`;
          },
          now: () => performance.now(),
          runHook: shellHookRunner(log),
          log,
        },
      );
      if (flags.once) {
        const outcome = await watcher.runNow();
        process.stdout.write(`${outcome.resultPath}\n`);
        setExitCode(command, outcome.verdict === 'pass' ? 0 : outcome.verdict === 'fail' ? 1 : 3);
        return;
      }
      log(`watching ${target.adapterDir} every ${intervalMs / 1000}s; history in ${historyDir} (Ctrl-C to stop)`);
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await watcher.watch(intervalMs, controller.signal, sleep);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
