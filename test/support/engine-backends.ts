/**
 * Fresh engine backends on the tiny llama fixture (trained adapter, one thread, no warm-start
 * cache) for tests that count forwards from zero; every backend made in a test is closed
 * after it.
 */
import { afterEach } from 'vitest';
import { createEngineBackend, type EngineBackend } from '../../src/backends/engine.js';
import { tinyFixtures } from './fixtures.js';

/** Call at module level; returns the maker to call inside tests. */
export function freshEngineBackends(): () => Promise<EngineBackend> {
  const fx = tinyFixtures('llama');
  const open: EngineBackend[] = [];
  afterEach(async () => {
    for (const b of open.splice(0)) await b.close();
  });
  return async () => {
    const b = await createEngineBackend({ base: fx.base, adapter: fx.trained, threads: 1, cacheDir: null });
    open.push(b);
    return b;
  };
}
