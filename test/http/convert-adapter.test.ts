// `sway convert-adapter` / `sway convert-model`: what lands in the GGUF and PEFT files, and
// the refusals. (That llama.cpp computes the same numbers from these files is checked by
// llama-server.test.ts and the node-llama-cpp cross-check.)
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAdapterWithArch, variantSlots } from '../../src/backends/http/adapter-variants.js';
import { loadArch } from '../../src/engine/config.js';
import { permuteRows } from '../../src/engine/gguf/writer.js';
import { expectCleanError, swayIn } from '../support/cli.js';
import { tinyFixtures } from '../support/fixtures.js';
import { readGguf } from './gguf-read.js';

const fx = tinyFixtures();
const out = () => mkdtempSync(join(tmpdir(), 'sway-convert-'));

describe('sway convert-adapter --target gguf', () => {
  const { adapter, arch } = loadAdapterWithArch(fx.trained, fx.base);

  it('writes every slot as lora_a / lora_b with the PEFT scaling folded into B and q rows permuted', async () => {
    const file = join(out(), 'ft.gguf');
    const r = await swayIn(['convert-adapter', fx.trained, file, '--base', fx.base]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('(ft, gguf)');
    const g = readGguf(file);
    expect(g.kv.get('general.type')).toBe('adapter');
    expect(g.kv.get('general.architecture')).toBe('llama');
    expect(g.kv.get('adapter.type')).toBe('lora');
    expect(g.kv.get('adapter.lora.alpha')).toBe(0);
    expect(g.tensors.size).toBe(adapter.slots.length * 2);
    for (const s of adapter.slots) {
      const stem = s.target.scope === 'lm_head' ? 'output' : s.target.scope === 'layer' ? `blk.${s.target.layer}.${{ q_proj: 'attn_q', v_proj: 'attn_v' }[s.target.module as 'q_proj' | 'v_proj']}` : '?';
      const a = g.tensors.get(`${stem}.weight.lora_a`)!;
      const b = g.tensors.get(`${stem}.weight.lora_b`)!;
      expect(a.shape).toEqual([s.rank, s.inFeatures]);
      expect(b.shape).toEqual([s.outFeatures, s.rank]);
      expect(Array.from(a.data)).toEqual(Array.from(s.a));
      let want: Float32Array = Float32Array.from(s.b, (x) => x * s.scaling);
      if (s.target.scope === 'layer' && s.target.module === 'q_proj') want = permuteRows(want, arch.numHeads, arch.headDim, s.rank);
      expect(Array.from(b.data)).toEqual(Array.from(want));
    }
  });

  it('--null-seed writes the engine\'s null draw; --scale scales B', async () => {
    const dir = out();
    expect((await swayIn(['convert-adapter', fx.trained, join(dir, 'n.gguf'), '--base', fx.base, '--null-seed', '4', '--rank-multiplier', '2'])).code).toBe(0);
    expect((await swayIn(['convert-adapter', fx.trained, join(dir, 's.gguf'), '--base', fx.base, '--scale', '0.25'])).code).toBe(0);
    const nulls = variantSlots(adapter, { kind: 'null', seed: 4, rankScale: 2 });
    const v = nulls.find((s) => s.target.scope === 'layer' && s.target.module === 'v_proj')!;
    const stem = `blk.${(v.target as { layer: number }).layer}.attn_v`;
    expect(Array.from(readGguf(join(dir, 'n.gguf')).tensors.get(`${stem}.weight.lora_a`)!.data)).toEqual(Array.from(v.a));
    const real = adapter.slots.find((s) => s.modulePath === v.modulePath)!;
    const scaledB = readGguf(join(dir, 's.gguf')).tensors.get(`${stem}.weight.lora_b`)!.data;
    scaledB.forEach((x, i) => expect(x).toBeCloseTo((real.b[i] as number) * 0.25 * real.scaling, 6));
  });

  it('--target peft writes a loadable PEFT folder', async () => {
    const dir = join(out(), 'null-7');
    const r = await swayIn(['convert-adapter', fx.trained, dir, '--target', 'peft', '--null-seed', '7', '--base', fx.base]);
    expect(r.code, r.stderr).toBe(0);
    const back = loadAdapterWithArch(dir, fx.base).adapter;
    const want = variantSlots(adapter, { kind: 'null', seed: 7 });
    back.slots.forEach((s, i) => expect(Array.from(s.b)).toEqual(Array.from(want[i]!.b)));
  });

  it('refuses bad combinations, an existing DST without --overwrite, DoRA and --target mlx (exit 2, one line)', async () => {
    const dir = out();
    const cases: string[][] = [
      ['convert-adapter', fx.trained, join(dir, 'x.gguf'), '--scale', '0.5', '--null-seed', '1'],
      ['convert-adapter', fx.trained, join(dir, 'x.gguf'), '--rank-multiplier', '2'],
      ['convert-adapter', fx.trained, join(dir, 'x.gguf'), '--null-seed', '-1'],
      ['convert-adapter', fx.trained, join(dir, 'x.gguf'), '--target', 'mlx'],
      ['convert-adapter', fx.dora, join(dir, 'd.gguf'), '--base', fx.base],
      ['convert-adapter', join(dir, 'missing'), join(dir, 'm.gguf'), '--base', fx.base],
    ];
    const messages = [];
    for (const args of cases) messages.push(expectCleanError(await swayIn(args)));
    expect(messages[0]).toMatch(/exclusive/);
    expect(messages[3]).toMatch(/mlx/);
    expect(messages[4]).toMatch(/DoRA/);
    expect(existsSync(join(dir, 'd.gguf'))).toBe(false);
    const f = join(dir, 'ft.gguf');
    expect((await swayIn(['convert-adapter', fx.trained, f, '--base', fx.base])).code).toBe(0);
    expect(expectCleanError(await swayIn(['convert-adapter', fx.trained, f, '--base', fx.base]))).toMatch(/--overwrite/);
    expect((await swayIn(['convert-adapter', fx.trained, f, '--base', fx.base, '--overwrite'])).code).toBe(0);
  });
});

async function converted(base: string, file: string): Promise<string> {
  const r = await swayIn(['convert-model', base, file]);
  expect(r.code, r.stderr).toBe(0);
  return file;
}

describe('sway convert-model --target gguf', () => {
  it('writes the llama row: permuted q/k, explicit output head, rope factors, tokenizer', async () => {
    const file = join(out(), 'base.gguf');
    const r = await swayIn(['convert-model', fx.base, file]);
    expect(r.code, r.stderr).toBe(0);
    const g = readGguf(file);
    expect(g.kv.get('general.architecture')).toBe('llama');
    expect(g.kv.get('llama.block_count')).toBe(2);
    expect((g.kv.get('tokenizer.ggml.tokens') as string[]).length).toBe(g.kv.get('llama.vocab_size'));
    expect(g.tensors.get('output.weight')!.data).toEqual(g.tensors.get('token_embd.weight')!.data);
    expect(g.tensors.get('rope_freqs.weight')!.shape).toEqual([8]);
    expect(g.tensors.has('blk.1.attn_q.weight')).toBe(true);
    expect(expectCleanError(await swayIn(['convert-model', fx.base, file]))).toMatch(/--overwrite/);
  });

  it('writes other rows of the table: qwen2 biases, gpt2 Conv1D transposed, gpt_neox qkv regrouped', async () => {
    const dir = out();
    const qwen = readGguf(await converted(tinyFixtures('qwen2').base, join(dir, 'q.gguf')));
    expect(qwen.kv.get('general.architecture')).toBe('qwen2');
    expect(qwen.tensors.has('blk.0.attn_q.bias')).toBe(true);
    const gpt2Fx = tinyFixtures('gpt2');
    const gpt2 = readGguf(await converted(gpt2Fx.base, join(dir, 'g.gguf')));
    const gArch = loadArch(gpt2Fx.base);
    expect(gpt2.kv.get('general.architecture')).toBe('gpt2');
    expect(gpt2.tensors.get('blk.0.attn_qkv.weight')!.shape).toEqual([3 * gArch.hiddenSize, gArch.hiddenSize]);
    expect(gpt2.tensors.has('position_embd.weight')).toBe(true);
    const neox = readGguf(await converted(tinyFixtures('gpt_neox').base, join(dir, 'n.gguf')));
    expect(neox.kv.get('general.architecture')).toBe('gptneox');
    expect(neox.kv.get('gptneox.use_parallel_residual')).toBe(true);
  });

  it('refuses a family the table has no row for', async () => {
    const g4 = tinyFixtures('gemma4_text');
    expect(expectCleanError(await swayIn(['convert-model', g4.base, join(out(), 'g4.gguf')]))).toMatch(/'gemma4_text' family is not supported yet/);
  });
});
