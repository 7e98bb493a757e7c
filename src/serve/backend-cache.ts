/**
 * Process-local LRU of loaded backends for the daemon, keyed by what identifies a loaded
 * model: (kind, base, adapter, dtype, device). Loading is single-flight (concurrent
 * requests for a key share one load), eviction closes the backend once the requests
 * already queued on it have finished, and every use of a backend runs through that
 * backend's SerialQueue so views never interleave.
 */
import type { DifferentialBackend } from '../backends/contract.js';
import { SwayError, isSwayError } from '../core/errors.js';
import { SerialQueue } from './serial-queue.js';

/** The model fields that make two loads interchangeable. */
export interface ModelKey {
  kind: string;
  base: string;
  adapter: string | null;
  dtype: string;
  device: string;
}

export type BackendLoader = (model: ModelKey) => Promise<DifferentialBackend>;

interface Entry {
  model: ModelKey;
  /** Set by the close task; a use queued behind it must load a fresh backend. */
  closed: boolean;
  backend: DifferentialBackend;
  queue: SerialQueue;
  loadSeconds: number;
}

export interface BackendCacheOptions {
  /** Most backends kept loaded at once (>= 1). */
  maxSize: number;
  load: BackendLoader;
  /** Called when a backend's close() throws; the error is otherwise swallowed. */
  onCloseError?: (model: ModelKey, err: unknown) => void;
}

/** Facts about one use, for logs and stats. */
export interface UseInfo {
  /** True when this call loaded the backend (a cache miss). */
  loaded: boolean;
  loadSeconds: number;
}

const EVICTED = Symbol('evicted');

export function modelKeyString(m: ModelKey): string {
  return JSON.stringify([m.kind, m.base, m.adapter, m.dtype, m.device]);
}

export class BackendCache {
  readonly maxSize: number;
  private readonly load: BackendLoader;
  private readonly onCloseError: (model: ModelKey, err: unknown) => void;
  /** Map iteration order is the LRU order: first = least recently used. */
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  private readonly closing = new Set<Promise<void>>();

  constructor(options: BackendCacheOptions) {
    if (!Number.isInteger(options.maxSize) || options.maxSize < 1) {
      throw new SwayError(
        `--max-loaded-models must be an integer >= 1, got ${options.maxSize}; pass e.g. --max-loaded-models 2`,
        'SWAY_USAGE',
      );
    }
    this.maxSize = options.maxSize;
    this.load = options.load;
    this.onCloseError = options.onCloseError ?? (() => undefined);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Loaded models, least recently used first. */
  loadedModels(): ModelKey[] {
    return [...this.entries.values()].map((e) => ({ ...e.model }));
  }

  /**
   * Runs `task` with the backend for `model`, loading it on a miss. Tasks on the same
   * backend run one at a time in arrival order.
   */
  async use<T>(model: ModelKey, task: (backend: DifferentialBackend, info: UseInfo) => Promise<T>): Promise<T> {
    const key = modelKeyString(model);
    const hit = this.entries.get(key);
    let entry: Entry;
    let loaded = false;
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      entry = hit;
    } else {
      let pending = this.inflight.get(key);
      if (!pending) {
        loaded = true;
        pending = this.loadEntry(key, model).finally(() => this.inflight.delete(key));
        this.inflight.set(key, pending);
      }
      entry = await pending;
    }
    const info: UseInfo = { loaded, loadSeconds: entry.loadSeconds };
    const outcome = await entry.queue.run(async () => (entry.closed ? EVICTED : { value: await task(entry.backend, info) }));
    // Evicted between lookup and our turn in the queue: load again.
    if (outcome === EVICTED) return this.use(model, task);
    return outcome.value;
  }

  /** Closes every backend (daemon shutdown). */
  async evictAll(): Promise<void> {
    for (const key of [...this.entries.keys()]) this.evict(key);
    await Promise.all([...this.closing]);
  }

  private async loadEntry(key: string, model: ModelKey): Promise<Entry> {
    const started = performance.now();
    let backend: DifferentialBackend;
    try {
      backend = await this.load(model);
    } catch (err) {
      if (isSwayError(err)) throw err;
      const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new SwayError(`backend load failed for kind=${model.kind} base='${model.base}': ${msg}`, 'SWAY_SERVE', 3);
    }
    const entry: Entry = { model: { ...model }, closed: false, backend, queue: new SerialQueue(), loadSeconds: (performance.now() - started) / 1000 };
    while (this.entries.size >= this.maxSize) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.evict(oldest);
    }
    this.entries.set(key, entry);
    return entry;
  }

  private evict(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const close = entry.queue
      .run(async () => {
        entry.closed = true;
        await entry.backend.close?.();
      })
      .catch((err: unknown) => this.onCloseError(entry.model, err));
    this.closing.add(close);
    void close.finally(() => this.closing.delete(close));
  }
}
