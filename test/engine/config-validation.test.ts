/** config.json validation (issue 15 items 5–6): every bad value is exit 2 naming config.json and the key. */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../../src/core/errors.js';
import { archFromConfig } from '../../src/engine/config.js';
import { Engine } from '../../src/engine/engine.js';
import { tinyConfig } from '../../src/engine/fixtures/tiny-model.js';
import { tinyFixtures } from '../support/fixtures.js';

const FILE = '/models/tiny/config.json';

function refused(patch: Record<string, unknown>): ModelError {
  const cfg = { ...tinyConfig('llama', 300, 1, 2), ...patch };
  let caught: unknown;
  try {
    archFromConfig(cfg, FILE);
  } catch (err) {
    caught = err;
  }
  expect(caught, JSON.stringify(patch)).toBeInstanceOf(ModelError);
  const e = caught as ModelError;
  expect(e.exitCode).toBe(2);
  expect(e.message.startsWith(`${FILE}: `)).toBe(true);
  return e;
}

describe('config.json values', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ max_position_embeddings: -1 }, /'max_position_embeddings' must be a positive integer, got -1/],
    [{ max_position_embeddings: 0 }, /'max_position_embeddings' must be a positive integer/],
    [{ hidden_size: 64.5 }, /'hidden_size' must be a positive integer/],
    [{ hidden_size: 1e9 }, /'hidden_size' = 1000000000 is implausibly large/],
    [{ vocab_size: 1e12 }, /'vocab_size' .* implausibly large/],
    [{ num_hidden_layers: 0 }, /'num_hidden_layers' must be a positive integer/],
    [{ intermediate_size: '128' }, /'intermediate_size' must be a number/],
    [{ rope_theta: 0 }, /'rope_theta' must be a finite number > 0, got 0/],
    [{ rope_theta: -5 }, /'rope_theta' must be a finite number > 0/],
    [{ rms_norm_eps: 0 }, /'rms_norm_eps' must be a finite number > 0/],
    [{ num_key_value_heads: 3 }, /num_attention_heads \(4\) must be a multiple of num_key_value_heads \(3\)/],
    [{ num_key_value_heads: 8 }, /must be a multiple of num_key_value_heads \(8\)/],
    [{ num_attention_heads: 6 }, /hidden_size \(64\) is not a multiple of num_attention_heads \(6\)/],
    [{ head_dim: 15 }, /head_dim 15 must be an even integer/],
    [{ rope_scaling: { rope_type: 'linear', factor: 0 } }, /rope_scaling\.factor must be a finite number > 0/],
    [{ rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: -1 } }, /rope_scaling\.low_freq_factor/],
    [{ attention_bias: 'yes' }, /'attention_bias' must be true or false/],
  ];
  for (const [patch, msg] of cases) {
    it(`${JSON.stringify(patch)} → exit 2 naming config.json and the key`, () => {
      expect(refused(patch).message).toMatch(msg);
    });
  }
  it('a window list of the wrong length is refused where the family reads layer_types', () => {
    const cfg = { ...tinyConfig('mistral', 300, 1, 2), layer_types: ['sliding_attention'] };
    expect(() => archFromConfig(cfg, FILE)).toThrow(/layer_types has 1 entries but num_hidden_layers is 2/);
  });
});

describe('config.json against the checkpoint', () => {
  it('a hidden_size that disagrees with the weights names config.json, not the adapter', async () => {
    const fx = tinyFixtures('llama');
    const root = mkdtempSync(join(tmpdir(), 'sway-cfg-'));
    const baseDir = join(root, 'base');
    cpSync(fx.base, baseDir, { recursive: true });
    const cfgPath = join(baseDir, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
    cfg['hidden_size'] = 128;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    await expect(Engine.load({ base: baseDir, adapter: fx.trained, threads: 1 })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(new RegExp(`^${cfgPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: vocab_size \\d+ and hidden_size 128 do not match tensor 'model\\.embed_tokens\\.weight'`)),
    });
  });
});
