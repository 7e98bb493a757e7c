import { describe, expect, it } from 'vitest';
import type { DifferentialBackend } from '../../src/backends/contract.js';
import { SwayError } from '../../src/core/errors.js';
import { BackendCache, type ModelKey } from '../../src/serve/backend-cache.js';

const model = (base: string): ModelKey => ({ kind: 'hf', base, adapter: null, dtype: 'auto', device: 'auto' });

function recordingLoader(delayMs = 0) {
  const loads: string[] = [];
  const closed: string[] = [];
  const load = async (m: ModelKey): Promise<DifferentialBackend> => {
    loads.push(m.base);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    return {
      kind: 'fake',
      asBase: (fn) => fn(undefined as never),
      asFinetuned: (fn) => fn(undefined as never),
      close: async () => {
        closed.push(m.base);
      },
    };
  };
  return { loads, closed, load };
}

describe('BackendCache', () => {
  it('rejects a max size below 1', () => {
    expect(() => new BackendCache({ maxSize: 0, load: recordingLoader().load })).toThrow(/max-loaded-models/);
  });

  it('evicts the least recently used backend and closes it', async () => {
    const r = recordingLoader();
    const cache = new BackendCache({ maxSize: 2, load: r.load });
    await cache.use(model('a'), async () => 1);
    await cache.use(model('b'), async () => 1);
    await cache.use(model('a'), async () => 1); // a becomes most recent
    await cache.use(model('c'), async () => 1); // evicts b
    expect(r.loads).toEqual(['a', 'b', 'c']);
    await new Promise((res) => setTimeout(res, 0));
    expect(r.closed).toEqual(['b']);
    expect(cache.loadedModels().map((m) => m.base)).toEqual(['a', 'c']);
    await cache.evictAll();
    expect(r.closed.sort()).toEqual(['a', 'b', 'c']);
    expect(cache.size).toBe(0);
  });

  it('shares one load between concurrent requests for the same model', async () => {
    const r = recordingLoader(30);
    const cache = new BackendCache({ maxSize: 2, load: r.load });
    const infos = await Promise.all([1, 2, 3].map(() => cache.use(model('a'), async (_b, info) => info.loaded)));
    expect(r.loads).toEqual(['a']);
    expect(infos.filter(Boolean)).toHaveLength(1);
  });

  it('runs tasks on one backend one at a time, in order', async () => {
    const r = recordingLoader();
    const cache = new BackendCache({ maxSize: 1, load: r.load });
    const order: string[] = [];
    let inside = 0;
    let maxInside = 0;
    const task = (tag: string, ms: number) =>
      cache.use(model('a'), async () => {
        inside += 1;
        maxInside = Math.max(maxInside, inside);
        order.push(`start ${tag}`);
        await new Promise((res) => setTimeout(res, ms));
        order.push(`end ${tag}`);
        inside -= 1;
      });
    await Promise.all([task('1', 20), task('2', 1), task('3', 5)]);
    expect(maxInside).toBe(1);
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('closes an evicted backend only after its queued work finished', async () => {
    const r = recordingLoader();
    const cache = new BackendCache({ maxSize: 1, load: r.load });
    let closedDuringWork: boolean | null = null;
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    let working!: () => void;
    const inWork = new Promise<void>((res) => (working = res));
    const slow = cache.use(model('a'), async () => {
      working();
      await gate;
      closedDuringWork = r.closed.includes('a');
    });
    await inWork;
    await cache.use(model('b'), async () => undefined); // evicts a while its task is still running
    expect(r.closed).toEqual([]);
    release();
    await slow;
    expect(closedDuringWork).toBe(false);
    await cache.evictAll();
    expect(r.closed).toEqual(['a', 'b']);
  });

  it('wraps a non-sway load failure and does not cache it', async () => {
    let attempts = 0;
    const cache = new BackendCache({
      maxSize: 1,
      load: async () => {
        attempts += 1;
        throw new TypeError('bad header');
      },
    });
    const err = await cache.use(model('x'), async () => 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwayError);
    expect((err as Error).message).toBe("backend load failed for kind=hf base='x': TypeError: bad header");
    await cache.use(model('x'), async () => 1).catch(() => undefined);
    expect(attempts).toBe(2);
    expect(cache.size).toBe(0);
  });
});
