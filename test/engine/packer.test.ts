/**
 * Weights go into the external-data file piece by piece: tensors read straight into their
 * slice (bf16 widened in place, or a range of a tensor), concatenated [out, in] blocks, and
 * NaN/Inf in any piece refused naming file and tensor. The file and the in-memory buffer
 * hold the same bytes. Stored tensors keep the checkpoint's bytes and type: hard-linked
 * where they sit, or copied as they are.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { DT } from '../../src/engine/onnx/model.js';
import { scanInBackground } from '../../src/engine/stored-scan.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { archFromConfig } from '../../src/engine/config.js';
import { GraphContext } from '../../src/engine/graph/context.js';
import { WeightPacker } from '../../src/engine/graph/packer.js';
import { SafetensorsSource } from '../../src/engine/safetensors/reader.js';
import { writeSafetensors, type TensorToWrite } from '../../src/engine/safetensors/writer.js';
import { f32ToBf16, bf16ToF32 } from '../../src/engine/safetensors/dtype.js';

const CONFIG = { model_type: 'llama', hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, vocab_size: 32, max_position_embeddings: 64, rms_norm_eps: 1e-5 };

function checkpoint(dtype: 'BF16' | 'F32' | 'F16', poison?: string): { dir: string; tensors: Map<string, Float32Array> } {
  const rng = new Rng(3);
  const shapes: [string, number[]][] = [
    ['model.layers.0.self_attn.q_proj.weight', [8, 8]],
    ['model.layers.0.self_attn.k_proj.weight', [4, 8]],
    ['model.layers.0.self_attn.v_proj.weight', [4, 8]],
    ['model.embed_tokens.weight', [32, 8]],
  ];
  const tensors = new Map<string, Float32Array>();
  const list: TensorToWrite[] = shapes.map(([name, shape]) => {
    let data = rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), 1);
    if (dtype === 'BF16') data = bf16ToF32(f32ToBf16(data)); // the values bf16 can hold
    if (name === poison) data[data.length - 3] = Number.NaN;
    tensors.set(name, data);
    return { name, dtype, shape, data };
  });
  const dir = mkdtempSync(join(tmpdir(), 'sway-packer-'));
  writeSafetensors(join(dir, 'model.safetensors'), list);
  return { dir, tensors };
}

function context(dir: string): GraphContext {
  const arch = archFromConfig(CONFIG, join(dir, 'config.json'));
  return new GraphContext({ arch, groups: [], dora: false, overrides: new Map(), maxPositions: 64 }, SafetensorsSource.openDir(dir));
}

const QKV = (['q_proj', 'k_proj', 'v_proj'] as const).map((module) => ({ layer: 0, module }));

describe('weight packing in pieces', () => {
  for (const dtype of ['BF16', 'F32', 'F16'] as const) {
    it(`${dtype}: concatenated and whole tensors, written in 7-value pieces, equal the checkpoint`, () => {
      const { dir, tensors } = checkpoint(dtype);
      const ctx = context(dir);
      const packer = new WeightPacker(7);
      packer.add('qkv', [16, 8], ctx.concat(QKV));
      packer.add('embed', [32, 8], ctx.concat([{ module: 'embed' }]));
      const out = mkdtempSync(join(tmpdir(), 'sway-packer-out-'));
      const file = join(out, 'sway-weights.bin');
      expect(packer.writeFolder(out)).toEqual({ links: [], unscanned: [] });
      const bytes = readFileSync(file);
      const written = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      const qkv = [...QKV.map((r) => tensors.get(`model.layers.0.self_attn.${r.module}.weight`)!)].flatMap((t) => Array.from(t));
      const embed = Array.from(tensors.get('model.embed_tokens.weight')!);
      const tol = dtype === 'F16' ? 1e-3 : 0;
      const near = (a: ArrayLike<number>, b: number[]) => b.forEach((x, i) => expect(Math.abs((a[i] as number) - x), `value ${i}: ${a[i]} vs ${x}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(x))));
      near(written.subarray(0, 128), qkv);
      // The second tensor starts at the next 64-byte boundary (128 floats = 512 bytes: already aligned).
      near(written.subarray(128, 128 + 256), embed);
      // The in-memory buffer path gives the same bytes.
      const again = new WeightPacker();
      again.add('qkv', [16, 8], ctx.concat(QKV));
      again.add('embed', [32, 8], ctx.concat([{ module: 'embed' }]));
      expect(Buffer.compare(again.buffer(), readFileSync(file))).toBe(0);
    });
  }

  it('a NaN in a later piece of a concatenated weight names the file and the tensor', () => {
    const { dir } = checkpoint('BF16', 'model.layers.0.self_attn.v_proj.weight');
    const packer = new WeightPacker(5);
    packer.add('qkv', [16, 8], context(dir).concat(QKV));
    expect(() => packer.writeFolder(mkdtempSync(join(tmpdir(), 'sway-packer-out-')))).toThrow(/model\.safetensors: tensor 'model\.layers\.0\.self_attn\.v_proj\.weight' has 1 non-finite/);
  });

  for (const dtype of ['BF16', 'F16', 'F32'] as const) {
    it(`${dtype}: a stored tensor keeps its bytes and type, linked where it sits or copied where no link can be made`, () => {
      const { dir } = checkpoint(dtype);
      const ctx = context(dir);
      const file = join(dir, 'model.safetensors');
      const at = SafetensorsSource.openDir(dir).storedBytes('model.embed_tokens.weight');
      const stored = readFileSync(file).subarray(at.offset, at.offset + at.byteLength);
      const want = { BF16: DT.BFLOAT16, F16: DT.FLOAT16, F32: DT.FLOAT }[dtype];

      const linked = mkdtempSync(join(tmpdir(), 'sway-packer-out-'));
      ctx.stored('embed', [32, 8], { module: 'embed' });
      const { links, unscanned } = ctx.packer.writeFolder(linked);
      expect(links.map((l) => l.name)).toEqual(['source-0-model.safetensors']);
      // Linked tensors are left for the caller to scan while the session is created.
      expect(unscanned).toEqual([{ tensor: 'model.embed_tokens.weight', path: file, offset: at.offset, byteLength: at.byteLength, dataType: want }]);
      expect(statSync(join(linked, 'source-0-model.safetensors')).ino).toBe(statSync(file).ino);
      const init = ctx.packer.inits.find((i) => i.name === 'embed')!;
      expect(init.dataType).toBe(want);
      expect(init.external).toEqual({ location: 'source-0-model.safetensors', offset: at.offset, length: at.byteLength });

      // A name already taken in the folder stands in for a link the file system refuses.
      const copied = mkdtempSync(join(tmpdir(), 'sway-packer-out-'));
      writeFileSync(join(copied, 'source-0-model.safetensors'), 'taken');
      const again = context(dir);
      again.stored('embed', [32, 8], { module: 'embed' });
      expect(again.packer.writeFolder(copied)).toEqual({ links: [], unscanned: [] });
      const ext = again.packer.inits.find((i) => i.name === 'embed')!.external!;
      expect(ext.location).toBe('sway-weights.bin');
      expect(Buffer.compare(readFileSync(join(copied, 'sway-weights.bin')).subarray(ext.offset, ext.offset + ext.length), stored)).toBe(0);

      // In memory the bytes are copied as they are.
      const mem = context(dir);
      mem.stored('embed', [32, 8], { module: 'embed' });
      expect(Buffer.compare(mem.packer.buffer().subarray(0, at.byteLength), stored)).toBe(0);
    });
  }

  it('a NaN in a stored tensor names the file and the tensor, copied, scanned or in memory', async () => {
    const { dir } = checkpoint('BF16', 'model.embed_tokens.weight');
    const linked = context(dir);
    linked.stored('embed', [32, 8], { module: 'embed' });
    const { unscanned } = linked.packer.writeFolder(mkdtempSync(join(tmpdir(), 'sway-packer-out-')));
    await expect(scanInBackground(unscanned)).rejects.toThrow(/model\.safetensors: tensor 'model\.embed_tokens\.weight' has 1 non-finite/);
    const copiedTo = mkdtempSync(join(tmpdir(), 'sway-packer-out-'));
    writeFileSync(join(copiedTo, 'source-0-model.safetensors'), 'taken');
    const copied = context(dir);
    copied.stored('embed', [32, 8], { module: 'embed' });
    expect(() => copied.packer.writeFolder(copiedTo)).toThrow(/model\.safetensors: tensor 'model\.embed_tokens\.weight' has 1 non-finite/);
    const mem = context(dir);
    mem.stored('embed', [32, 8], { module: 'embed' });
    expect(() => mem.packer.buffer()).toThrow(/model\.safetensors: tensor 'model\.embed_tokens\.weight' has 1 non-finite/);
  });

  it('reads a range of a tensor without touching the rest', () => {
    const { dir, tensors } = checkpoint('BF16');
    const src = SafetensorsSource.openDir(dir);
    const out = new Float32Array(10);
    src.readF32Into('model.embed_tokens.weight', out, { start: 37 });
    expect(Array.from(out)).toEqual(Array.from(tensors.get('model.embed_tokens.weight')!.subarray(37, 47)));
    expect(() => src.readF32Into('model.embed_tokens.weight', out, { start: 250 })).toThrow(/holds 256 values, asked for \[250, 260\)/);
    src.close();
  });
});
