/**
 * The `sway watch` core: poll the adapter directory (and the spec file), and when their
 * state changes and then stays quiet for the debounce period, run the spec once, write a
 * history file, rotate old ones, and fire the on-fail hook if the gate failed. Clock,
 * sleep, fingerprinting, the runner and the hook are injected so tests drive it step by
 * step. A run that throws is recorded as an `error` history entry; the same state is not
 * retried until the adapter or the spec changes again (polling would otherwise re-run a
 * broken spec every interval). The on-fail hook fires for a failed gate and for an errored
 * run alike; history numbering continues from the newest file already in the folder.
 */
import { UsageError, isSwayError } from '../../core/errors.js';
import { gateVerdictOfReport } from './gate-verdict.js';
import { historyFileName, lastHistorySequence, rotateHistory, writeJsonAtomic } from './history.js';
import type { HookRunner } from './on-fail-hook.js';

export type WatchVerdict = 'pass' | 'fail' | 'error';

/** Runs the spec and returns the `sway run --json` report object. */
export type WatchRunner = (specPath: string) => Promise<Record<string, unknown>>;

export interface WatcherConfig {
  specPath: string;
  historyDir: string;
  /** Newest history files kept; 0 keeps all. */
  keep: number;
  /** Gate threshold for the composite. */
  threshold: number;
  onFailCommand: string | null;
  /** The state must be unchanged this long before a run starts (ms). */
  debounceMs: number;
}

export interface WatcherDeps {
  runner: WatchRunner;
  /** Current state of what is watched (adapter dir + spec); null when there is nothing to run yet. */
  fingerprint: () => Promise<string | null>;
  now: () => number;
  runHook: HookRunner;
  log?: (line: string) => void;
}

export interface WatchOutcome {
  sequence: number;
  verdict: WatchVerdict;
  resultPath: string;
  overallScore: number | null;
  runSeconds: number;
  reason: string;
}

export class Watcher {
  private readonly config: WatcherConfig;
  private readonly deps: WatcherDeps;
  private readonly log: (line: string) => void;
  /** Null until the first run reads the history folder: numbering continues after a restart. */
  private sequence: number | null = null;
  private seen: string | null = null;
  private seenAt = 0;
  private lastRun: string | null = null;
  private waitingLogged = false;

  constructor(config: WatcherConfig, deps: WatcherDeps) {
    if (!Number.isInteger(config.keep) || config.keep < 0) {
      throw new UsageError(`--keep must be an integer >= 0 (0 keeps every history file), got ${config.keep}`);
    }
    if (!(config.threshold >= 0 && config.threshold <= 1)) {
      throw new UsageError(`--threshold must be in [0, 1], got ${config.threshold}`);
    }
    if (!(config.debounceMs >= 0)) throw new UsageError(`debounce must be >= 0 ms, got ${config.debounceMs}`);
    this.config = config;
    this.deps = deps;
    this.log = deps.log ?? (() => undefined);
  }

  /** One poll: returns the outcome when it ran the spec, null otherwise. */
  async poll(): Promise<WatchOutcome | null> {
    const fp = await this.deps.fingerprint();
    const now = this.deps.now();
    if (fp === null) {
      if (!this.waitingLogged) this.log('waiting for the adapter directory to appear');
      this.waitingLogged = true;
      return null;
    }
    this.waitingLogged = false;
    if (fp !== this.seen) {
      this.seen = fp;
      this.seenAt = now;
      if (this.config.debounceMs > 0) return null;
    }
    if (fp === this.lastRun || now - this.seenAt < this.config.debounceMs) return null;
    this.lastRun = fp;
    return this.runOnce();
  }

  /** Runs the spec now, whatever the state (`sway watch --once`); later polls treat the current state as seen. */
  async runNow(): Promise<WatchOutcome> {
    const fp = await this.deps.fingerprint();
    this.seen = fp;
    this.seenAt = this.deps.now();
    this.lastRun = fp;
    return this.runOnce();
  }

  /** Polls every `intervalMs` until `signal` aborts. Poll failures are logged, not fatal. */
  async watch(intervalMs: number, signal: AbortSignal, sleep: (ms: number, signal: AbortSignal) => Promise<void>): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.poll();
      } catch (err) {
        this.log(`watch poll failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (signal.aborted) break;
      await sleep(intervalMs, signal);
    }
  }

  private async runOnce(): Promise<WatchOutcome> {
    this.sequence = (this.sequence ?? (await lastHistorySequence(this.config.historyDir))) + 1;
    const sequence = this.sequence;
    const started = this.deps.now();
    let report: Record<string, unknown>;
    let verdict: WatchVerdict;
    let overall: number | null = null;
    let reason: string;
    try {
      report = await this.deps.runner(this.config.specPath);
      const gate = gateVerdictOfReport(report, this.config.threshold);
      verdict = gate.verdict;
      overall = gate.overall;
      reason = gate.reason;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const type = isSwayError(err) ? err.name : err instanceof Error ? err.name : 'Error';
      report = { verdict: 'error', error: `${type}: ${message}` };
      verdict = 'error';
      reason = message;
    }
    const runSeconds = (this.deps.now() - started) / 1000;
    const wroteAt = new Date();
    const resultPath = await writeJsonAtomic(this.config.historyDir, historyFileName(wroteAt, sequence), {
      ...report,
      sway_watch: {
        sequence,
        spec_path: this.config.specPath,
        verdict,
        reason,
        threshold: this.config.threshold,
        run_seconds: runSeconds,
        overall_score: overall,
        wrote_at: wroteAt.toISOString(),
      },
    });
    const removed = await rotateHistory(this.config.historyDir, this.config.keep);
    if (removed.length > 0) this.log(`rotated out ${removed.length} old history file(s)`);
    this.log(`run #${sequence}: ${verdict} (${reason}) → ${resultPath}`);
    if (verdict !== 'pass' && this.config.onFailCommand) {
      this.deps.runHook(this.config.onFailCommand, { SWAY_RESULT_PATH: resultPath });
    }
    return { sequence, verdict, resultPath, overallScore: overall, runSeconds, reason };
  }
}
