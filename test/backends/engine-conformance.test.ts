import { EngineBackend } from '../../src/backends/engine.js';
import { runBackendConformance } from '../support/backend-conformance.js';
import { tinyFixtures } from '../support/fixtures.js';

const fx = tinyFixtures('llama');

runBackendConformance({
  name: 'engine (tiny llama + trained adapter)',
  create: () => EngineBackend.create({ base: fx.base, adapter: fx.trained, threads: 1 }),
  // No createNonFinite: the engine refuses NaN/Inf in base or adapter tensors at load (exit 2,
  // test/engine/adapter-fidelity.test.ts), so its preflight never sees a non-finite model.
});
