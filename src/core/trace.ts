/**
 * Forward-pass trace (`sway run --trace PATH`): the engine records one event per batched
 * forward, generation or answer-cache hit; the runner says which probe is running. Off (no
 * cost beyond one check) unless a command starts it.
 */
export interface TraceEvent {
  probe: string | null;
  /** forward (one batched pass), generate (one KV-cache generation), cache (answers served from the engine's cache). */
  op: 'forward' | 'generate' | 'cache';
  /** The view ids of the rows, distinct, joined by `+`. */
  view: string;
  rows: number;
  tokens: number;
  ms: number;
  cache_hit: boolean;
  /** Resident memory of the process right after the event, MB (where peaks come from; absent in traces of older versions). */
  rss_mb?: number;
}

let events: TraceEvent[] | null = null;
let currentProbe: string | null = null;

export function startTrace(): void {
  events = [];
}

/** Stops tracing and returns what was recorded. */
export function stopTrace(): TraceEvent[] {
  const out = events ?? [];
  events = null;
  currentProbe = null;
  return out;
}

export function tracing(): boolean {
  return events !== null;
}

export function setTraceProbe(name: string | null): void {
  currentProbe = name;
}

export function recordTrace(e: Omit<TraceEvent, 'probe' | 'rss_mb'>): void {
  events?.push({ probe: currentProbe, ...e, rss_mb: Math.round(process.memoryUsage.rss() / 1048576) });
}

/** Distinct view ids of some rows, in first-seen order, as one label. */
export function viewLabel(ids: readonly string[]): string {
  return [...new Set(ids)].join('+');
}
