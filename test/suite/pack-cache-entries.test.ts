import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineBackend } from '../../src/backends/engine.js';
import { identityFromFiles } from '../../src/engine/identity.js';
import { executeSpec, loadSpecText } from '../../src/suite/execute.js';
import { pack, unpack } from '../../src/suite/pack/pack.js';
import { tinyFixtures } from '../support/fixtures.js';

function specText(base: string, adapter: string): string {
  return `version: 1
models:
  base: {kind: hf, base: ${JSON.stringify(base)}}
  ft: {kind: hf, base: ${JSON.stringify(base)}, adapter: ${JSON.stringify(adapter)}}
suite:
  - {name: nullcal, kind: null_adapter, runs: 2, calibrate_kinds: [delta_kl]}
  - {name: dk, kind: delta_kl, prompts: ["The sky is", "Once upon a time"]}
`;
}

describe('pack takes only the null-stats cache entries of its spec', () => {
  const fx = tinyFixtures('llama');

  it('the identity computed from files is the loaded engine identity', async () => {
    const backend = await EngineBackend.create({ base: fx.base, adapter: fx.trained, threads: 2 });
    try {
      expect(identityFromFiles({ base: fx.base, adapter: fx.trained })).toBe(backend.identity());
    } finally {
      await backend.close();
    }
    expect(identityFromFiles({ base: fx.base, adapter: fx.random })).not.toBe(identityFromFiles({ base: fx.base, adapter: fx.trained }));
  });

  it('two specs sharing one cache directory each pack their own entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sway-pack-cache-'));
    const cache = join(dir, 'cache');
    process.env['SWAY_NULL_CACHE_DIR'] = cache;
    try {
      for (const [name, adapter] of [['trained', fx.trained], ['random', fx.random]] as const) {
        writeFileSync(join(dir, `${name}.yaml`), specText(fx.base, adapter));
        const backend = await EngineBackend.create({ base: fx.base, adapter, threads: 2 });
        try {
          await executeSpec(loadSpecText(specText(fx.base, adapter), `${name}.yaml`, dir), { backend });
        } finally {
          await backend.close();
        }
      }
      // A stranger's entry from another model and one written before identities were recorded.
      writeFileSync(join(cache, 'foreign.json'), JSON.stringify({ format: 1, key: 'foreign', backend_identity: 'hf:other:none:fp32:x', null_stats_by_rank: {} }));
      writeFileSync(join(cache, 'legacy.json'), JSON.stringify({ format: 1, key: 'legacy', null_stats_by_rank: {} }));
      const all = readdirSync(cache).filter((f) => f.endsWith('.json'));
      expect(all).toHaveLength(4);

      const trained = pack(join(dir, 'trained.yaml'), { out: join(dir, 'trained.swaypack.tar.gz') });
      const random = pack(join(dir, 'random.yaml'), { out: join(dir, 'random.swaypack.tar.gz') });
      expect(trained.nullStatsCount).toBe(1);
      expect(random.nullStatsCount).toBe(1);
      const t = await unpack(trained.outPath, join(dir, 'out-trained'));
      const r = await unpack(random.outPath, join(dir, 'out-random'));
      const [tFile] = readdirSync(t.nullStatsDir!);
      const [rFile] = readdirSync(r.nullStatsDir!);
      expect(tFile).not.toBe(rFile);
      const tData = JSON.parse(readFileSync(join(t.nullStatsDir!, tFile!), 'utf8')) as Record<string, unknown>;
      expect(tData['backend_identity']).toBe(identityFromFiles({ base: fx.base, adapter: fx.trained }));
      expect(t.manifest['null_stats_keys']).toEqual([tFile!.replace(/\.json$/, '')]);
    } finally {
      delete process.env['SWAY_NULL_CACHE_DIR'];
    }
  });
});
