import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../../src/core/errors.js';
import { archSpecFromConfig, loadArchSpec } from '../../../src/engine/config.js';
import { tinyModelTensorShapes, writeTinyModel } from '../../../src/engine/fixtures/index.js';
import { expectedTensors, openModelWeights, openSafetensorsSource, validateCheckpoint, writeSafetensors } from '../../../src/engine/safetensors/index.js';
import type { Family } from '../../../src/engine/types.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'sway-ckpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Writes a checkpoint from a list of (name, shape), zeros as data. */
function writeCheckpoint(name: string, tensors: [string, number[]][]): string {
  const file = path.join(root, `${name}.safetensors`);
  writeSafetensors(
    file,
    tensors.map(([n, shape]) => ({ name: n, dtype: 'BF16' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) })),
  );
  return file;
}

describe('expected checkpoint tensors', () => {
  for (const family of ['llama', 'mistral', 'qwen2', 'qwen3'] as Family[]) {
    it(`match the ${family} fixture exactly`, () => {
      const dir = path.join(root, family);
      writeTinyModel(dir, { family });
      const arch = loadArchSpec(dir);
      const ws = openModelWeights(dir);
      try {
        expect(validateCheckpoint(arch, ws).unused).toEqual([]);
        const required = expectedTensors(arch).filter((t) => !t.optional).map((t) => t.name);
        expect(new Set(required)).toEqual(new Set(ws.names()));
      } finally {
        ws.close();
      }
    });
  }

  it('lists biases only where the family has them', () => {
    const base = { hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 10 };
    const names = (cfg: Record<string, unknown>): string[] => expectedTensors(archSpecFromConfig({ ...base, ...cfg }, 'c.json')).map((t) => t.name);
    expect(names({ model_type: 'qwen2' }).filter((n) => n.endsWith('.bias'))).toEqual([
      'model.layers.0.self_attn.q_proj.bias',
      'model.layers.0.self_attn.k_proj.bias',
      'model.layers.0.self_attn.v_proj.bias',
    ]);
    expect(names({ model_type: 'llama', attention_bias: true, mlp_bias: true }).filter((n) => n.endsWith('.bias'))).toHaveLength(7);
    expect(names({ model_type: 'mistral', attention_bias: true }).filter((n) => n.endsWith('.bias'))).toEqual([]);
  });
});

describe('validateCheckpoint', () => {
  const cfg = {
    model_type: 'llama', hidden_size: 8, intermediate_size: 16, num_hidden_layers: 2, num_attention_heads: 2,
    num_key_value_heads: 1, vocab_size: 10, tie_word_embeddings: false,
  };
  const arch = archSpecFromConfig(cfg, '/m/config.json');
  const good = expectedTensors(arch).map((t) => [t.name, t.shape] as [string, number[]]);

  it('accepts a complete checkpoint and reports tensors it will not read', () => {
    const ws = openSafetensorsSource(writeCheckpoint('extra', [...good, ['model.layers.0.self_attn.rotary_emb.inv_freq', [2]]]));
    expect(validateCheckpoint(arch, ws).unused).toEqual(['model.layers.0.self_attn.rotary_emb.inv_freq']);
    ws.close();
  });

  it('names missing tensors, the file and the head-tying hint', () => {
    const file = writeCheckpoint('nohead', good.filter(([n]) => n !== 'lm_head.weight' && n !== 'model.layers.1.mlp.up_proj.weight'));
    const ws = openSafetensorsSource(file);
    let err: unknown;
    try {
      validateCheckpoint(arch, ws, '/m/config.json');
    } catch (e) {
      err = e;
    }
    ws.close();
    expect(err).toBeInstanceOf(ModelError);
    const msg = (err as ModelError).message;
    expect(msg).toContain(file);
    expect(msg).toContain('/m/config.json');
    expect(msg).toContain("2 missing tensor(s): 'model.layers.1.mlp.up_proj.weight'; 'lm_head.weight'");
    expect(msg).toContain("set 'tie_word_embeddings': true");
  });

  it('names shape mismatches (weights saved with another config)', () => {
    const other = archSpecFromConfig({ ...cfg, num_key_value_heads: 2 }, 'x');
    const ws = openSafetensorsSource(writeCheckpoint('mha', expectedTensors(other).map((t) => [t.name, t.shape])));
    expect(() => validateCheckpoint(arch, ws)).toThrow(
      "4 shape mismatch(es): 'model.layers.0.self_attn.k_proj.weight' is [8, 8], expected [4, 8]; 'model.layers.0.self_attn.v_proj.weight' is [8, 8], expected [4, 8]",
    );
    ws.close();
  });

  it('checks an optional tied head when present', () => {
    const tied = archSpecFromConfig({ ...cfg, tie_word_embeddings: true }, 'x');
    const ok = openSafetensorsSource(writeCheckpoint('tied-ok', good.filter(([n]) => n !== 'lm_head.weight')));
    expect(validateCheckpoint(tied, ok).unused).toEqual([]);
    ok.close();
    const bad = openSafetensorsSource(writeCheckpoint('tied-bad', [...good.filter(([n]) => n !== 'lm_head.weight'), ['lm_head.weight', [10, 4]]]));
    expect(() => validateCheckpoint(tied, bad)).toThrow(/'lm_head.weight' is \[10, 4\], expected \[10, 8\]/);
    bad.close();
  });

  it('agrees with the fixture writer for bias options (tiny variants other tests build)', () => {
    for (const extra of [
      { model_type: 'qwen3', head_dim: 16, tie_word_embeddings: true, attention_bias: true },
      { model_type: 'llama', attention_bias: true, mlp_bias: true },
      { model_type: 'qwen2' },
    ]) {
      const config = { ...cfg, ...extra };
      const fromWriter = tinyModelTensorShapes(config).map(([n, s]) => `${n} ${s.join('x')}`).sort();
      const fromArch = expectedTensors(archSpecFromConfig(config, 'x')).filter((t) => !t.optional).map((t) => `${t.name} ${t.shape.join('x')}`).sort();
      expect(fromArch).toEqual(fromWriter);
    }
  });
});
