import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineBackend } from '../../src/backends/engine.js';
import { Rng } from '../../src/core/rng.js';
import { loadArch } from '../../src/engine/config.js';
import { loraConfig, randomLoraTensors, writeAdapter } from '../../src/engine/fixtures/adapters.js';
import { runBackendConformance } from '../support/backend-conformance.js';
import { tinyFixtures } from '../support/fixtures.js';

const fx = tinyFixtures('llama');

function nanAdapter(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'sway-nan-')), 'nan');
  const tensors = randomLoraTensors(loadArch(fx.base), ['q_proj', 'v_proj'], 4, new Rng(1), 0.02);
  tensors.forEach((t) => t.data.fill(Number.NaN));
  writeAdapter(dir, { config: loraConfig(fx.base, 4, 8, ['q_proj', 'v_proj']), tensors });
  return dir;
}

runBackendConformance({
  name: 'engine (tiny llama + trained adapter)',
  create: () => EngineBackend.create({ base: fx.base, adapter: fx.trained, threads: 1 }),
  createNonFinite: () => EngineBackend.create({ base: fx.base, adapter: nanAdapter(), threads: 1 }),
});
