import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../../src/engine/safetensors/writer.js';
import { SafetensorsSource } from '../../src/engine/safetensors/reader.js';
import { expectCleanError, sway, swayIn } from '../support/cli.js';
import { tinyFixtures } from '../support/fixtures.js';

function copyFixture(): { root: string; base: string; adapter: string } {
  const fx = tinyFixtures('llama');
  const root = mkdtempSync(join(tmpdir(), 'sway-bad-'));
  cpSync(fx.root, root, { recursive: true });
  return { root, base: join(root, 'base'), adapter: join(root, 'adapters', 'trained') };
}

const scoreArgs = (base: string, adapter: string | null) => ['score', '--base', base, ...(adapter ? ['--adapter', adapter] : []), '--view', adapter ? 'ft' : 'base', '--prompt', 'The sky is'];
const score = (base: string, adapter: string | null) => swayIn(scoreArgs(base, adapter));

describe('bad input through `sway score` is one clear error and exit 2', () => {
  it('a healthy fixture scores (control)', async () => {
    const { base, adapter } = copyFixture();
    const r = await score(base, adapter);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('tail_logprob');
  });

  it('truncated safetensors', async () => {
    const { base } = copyFixture();
    const file = join(base, 'model.safetensors');
    truncateSync(file, statSync(file).size - 100);
    // the one spawned case of `sway score`: the real process prints one line and exits 2
    const msg = expectCleanError(sway(scoreArgs(base, null)));
    expect(msg).toContain('model.safetensors');
    expect(msg).toMatch(/truncated/);
  });

  it('a NaN weight names the file and tensor', async () => {
    const { base } = copyFixture();
    const file = join(base, 'model.safetensors');
    const src = SafetensorsSource.openFile(file);
    const tensors = src.names().map((name) => ({ name, dtype: src.dtype(name), shape: src.shape(name), data: src.readF32(name) }));
    src.close();
    tensors.find((t) => t.name === 'model.layers.1.mlp.up_proj.weight')!.data[7] = NaN;
    writeFileSync(file, encodeSafetensors(tensors));
    const msg = expectCleanError(await score(base, null));
    expect(msg).toContain("tensor 'model.layers.1.mlp.up_proj.weight'");
    expect(msg).toContain('non-finite');
  });

  it('a missing shard', async () => {
    const { base } = copyFixture();
    const file = join(base, 'model.safetensors');
    renameSync(file, join(base, 'model-00001-of-00002.safetensors'));
    const names = (() => {
      const s = SafetensorsSource.openFile(join(base, 'model-00001-of-00002.safetensors'));
      const n = s.names();
      s.close();
      return n;
    })();
    const weightMap = Object.fromEntries(names.map((n, i) => [n, i % 2 ? 'model-00002-of-00002.safetensors' : 'model-00001-of-00002.safetensors']));
    writeFileSync(join(base, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const msg = expectCleanError(await score(base, null));
    expect(msg).toContain("shard 'model-00002-of-00002.safetensors'");
  });

  it('an adapter whose shapes do not match the base', async () => {
    const { base, adapter } = copyFixture();
    const file = join(adapter, 'adapter_model.safetensors');
    const src = SafetensorsSource.openFile(file);
    const tensors = src.names().map((name) => ({ name, dtype: src.dtype(name), shape: src.shape(name), data: src.readF32(name) }));
    src.close();
    const a = tensors.find((t) => t.name.endsWith('layers.0.self_attn.q_proj.lora_A.weight'))!;
    a.shape = [a.shape[0]!, a.shape[1]! / 2];
    a.data = a.data.subarray(0, a.data.length / 2);
    writeFileSync(file, encodeSafetensors(tensors));
    const msg = expectCleanError(await score(base, adapter));
    expect(msg).toContain('q_proj.lora_A.weight');
    expect(msg).toMatch(/base model needs \[\d+, 64\]/);
  });

  it('a target_modules that matches nothing', async () => {
    const { base, adapter } = copyFixture();
    const cfgFile = join(adapter, 'adapter_config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    cfg.target_modules = ['query_key_value'];
    writeFileSync(cfgFile, JSON.stringify(cfg));
    writeFileSync(join(adapter, 'adapter_model.safetensors'), encodeSafetensors([{ name: 'base_model.model.model.embed_tokens.weight_unused', dtype: 'F32', shape: [1], data: new Float32Array(1) }]));
    const msg = expectCleanError(await score(base, adapter));
    expect(msg).toContain('target_modules');
  });

  it('an unknown model_type', async () => {
    const { base } = copyFixture();
    const cfgFile = join(base, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    cfg.model_type = 'falcon';
    writeFileSync(cfgFile, JSON.stringify(cfg));
    const msg = expectCleanError(await score(base, null));
    expect(msg).toContain("model_type \"falcon\" is not supported; supported: llama, mistral, qwen2, qwen3");
  });

  it('a missing model says where it looked', async () => {
    const r = await swayIn(['score', '--base', 'nobody/no-such-model', '--view', 'base', '--prompt', 'x'], { env: { HF_HUB_CACHE: join(tmpdir(), 'empty-hub') } });
    const msg = expectCleanError(r);
    expect(msg).toContain('Hugging Face cache');
    expect(msg).toContain('sway never downloads');
  });

  it('an unsupported PEFT option is refused by name', async () => {
    const { base, adapter } = copyFixture();
    const cfgFile = join(adapter, 'adapter_config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    cfg.layer_replication = [[0, 2]];
    writeFileSync(cfgFile, JSON.stringify(cfg));
    expect(expectCleanError(await score(base, adapter))).toContain('layer_replication');
    rmSync(cfgFile);
  });

  it('a bad --view value', async () => {
    const { base, adapter } = copyFixture();
    const r = await swayIn(['score', '--base', base, '--adapter', adapter, '--view', 'scale=abc', '--prompt', 'x']);
    expect(expectCleanError(r)).toContain('--view scale=abc');
  });
});
