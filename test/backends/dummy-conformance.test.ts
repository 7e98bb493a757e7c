import { DummyDifferentialBackend } from '../../src/backends/dummy.js';
import { runBackendConformance } from '../support/backend-conformance.js';

runBackendConformance({
  name: 'dummy',
  create: async () => new DummyDifferentialBackend(),
  createNonFinite: async () => new DummyDifferentialBackend({}, { tokenDists: { preflight: { tokenIds: Int32Array.from([0, 1]), logprobs: Float64Array.from([Number.NaN, -1]), vocabSize: 10, tailLogprob: null } } }),
  skip: {
    'batched-dists': 'no multi-view batch call; probes take the per-view path on it',
    'batched-logprobs': 'no multi-view batch call; probes take the per-view path on it',
    'batched-rolling': 'no multi-view batch call; probes take the per-view path on it',
    'batched-generate': 'no multi-view batch call; probes take the per-view path on it',
  },
});
