import { DummyDifferentialBackend } from '../../src/backends/dummy.js';
import { runBackendConformance } from '../support/backend-conformance.js';

runBackendConformance({
  name: 'dummy',
  create: async () => new DummyDifferentialBackend(),
  skip: {
    'batched-dists': 'no multi-view batch call; probes take the per-view path on it',
    'batched-logprobs': 'no multi-view batch call; probes take the per-view path on it',
  },
});
