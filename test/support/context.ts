/** A RunContext for probe unit tests: defaults everywhere, overrides where a test needs them. */
import { tmpdir } from 'node:os';
import type { RunContext } from '../../src/probes/types.js';

export function testContext(backend: RunContext['backend'], over: Partial<RunContext> = {}): RunContext {
  return {
    backend,
    seed: 0,
    topK: 8,
    sections: null,
    docText: null,
    specDir: tmpdir(),
    nullStats: {},
    nullStatsByRank: {},
    downstreamKinds: [],
    ...over,
  };
}
