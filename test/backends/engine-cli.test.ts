/** `sway score` end to end (spawned CLI, built dist/): happy path and one-line exit-2 errors for bad inputs. */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { peftLoraConfig, writeAdapter } from '../../src/engine/fixtures/adapter-writer.js';
import { openModel } from '../../src/engine/fixtures/model-view.js';
import { buildRandomAdapter } from '../../src/engine/fixtures/simple-adapters.js';
import { writeTinyModel } from '../../src/engine/fixtures/tiny-model.js';

const BIN = path.resolve('bin/sway.js');
const built = existsSync(path.resolve('dist/src/cli/commands/score.js'));
let root: string;

function sway(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function copyBase(name: string): string {
  const dir = path.join(root, name);
  cpSync(path.join(root, 'base'), dir, { recursive: true });
  return dir;
}

/** Sets the first element of a tensor to NaN in place (bf16 or f32). */
function poison(file: string, tensor: string): void {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const t = header[tensor]!;
  const at = 8 + n + t.data_offsets[0];
  if (t.dtype === 'F32') buf.writeFloatLE(NaN, at);
  else buf.writeUInt16LE(0x7fc0, at);
  writeFileSync(file, buf);
}

function expectOneLineError(r: ReturnType<typeof sway>, pattern: RegExp): void {
  expect(r.code, r.err).toBe(2);
  const lines = r.err.trim().split('\n');
  expect(lines, r.err).toHaveLength(1);
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(lines[0]).toMatch(pattern);
}

describe.skipIf(!built)('sway score (run `npm run build` first)', () => {
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'sway-score-cli-'));
    const base = path.join(root, 'base');
    writeTinyModel(base, { family: 'llama', seed: 2, numMerges: 30 });
    const model = openModel(base);
    writeAdapter(path.join(root, 'adapter'), buildRandomAdapter(model, { seed: 1, rank: 4, baseModel: base }));
    const cfg = peftLoraConfig({ r: 4, lora_alpha: 8, target_modules: ['nothing_proj'], base_model_name_or_path: base });
    writeAdapter(path.join(root, 'no-targets'), { config: cfg, tensors: buildRandomAdapter(model, { seed: 1, rank: 4, baseModel: base }).tensors });
    model.close();
    const other = path.join(root, 'other');
    writeTinyModel(other, { family: 'llama', seed: 2, numMerges: 30, hiddenSize: 48, numHeads: 3, numKvHeads: 1 });
    const otherModel = openModel(other);
    writeAdapter(path.join(root, 'mismatch'), buildRandomAdapter(otherModel, { seed: 1, rank: 4, baseModel: other }));
    otherModel.close();
  });

  it('prints top-k, tail_logprob and the completion logprob; --json is one object', () => {
    const r = sway('score', '--base', path.join(root, 'base'), '--adapter', path.join(root, 'adapter'), '--view', 'scale=0.5', '--prompt', 'The cat', '--completion', ' sat', '--top-k', '3');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^view scale=0\.5/);
    expect(r.out.match(/^\s+\d\s+\d+\s+-\d+\.\d{4}/gm)).toHaveLength(3);
    expect(r.out).toMatch(/tail_logprob -\d/);
    expect(r.out).toMatch(/completion " sat" logprob -\d/);
    const j = sway('score', '--base', path.join(root, 'base'), '--view', 'base', '--prompt', 'The cat', '--top-k', '2', '--json');
    expect(j.code, j.err).toBe(0);
    const parsed = JSON.parse(j.out) as { view: string; top_k: unknown[]; tail_logprob: number };
    expect(parsed.view).toBe('base');
    expect(parsed.top_k).toHaveLength(2);
    expect(parsed.tail_logprob).toBeLessThan(0);
  });

  it('bad --view and a missing adapter are usage errors', () => {
    expectOneLineError(sway('score', '--base', path.join(root, 'base'), '--view', 'null:seed=x', '--prompt', 'a'), /--view "null:seed=x"/);
    expectOneLineError(sway('score', '--base', path.join(root, 'base'), '--view', 'ft', '--prompt', 'a'), /needs --adapter/);
    expectOneLineError(sway('score', '--base', path.join(root, 'base'), '--view', 'base', '--prompt', 'a', '--completion', ''), /adds zero tokens/);
  });

  it('truncated safetensors', () => {
    const dir = copyBase('truncated');
    const f = path.join(dir, 'model.safetensors');
    truncateSync(f, Math.floor(statSync(f).size / 2));
    expectOneLineError(sway('score', '--base', dir, '--view', 'base', '--prompt', 'a'), /model\.safetensors/);
  });

  it('a NaN weight', () => {
    const dir = copyBase('nan');
    poison(path.join(dir, 'model.safetensors'), 'model.norm.weight');
    expectOneLineError(sway('score', '--base', dir, '--view', 'base', '--prompt', 'a'), /model\.norm\.weight/);
  });

  it('a missing shard', () => {
    const dir = copyBase('sharded');
    const single = path.join(dir, 'model.safetensors');
    const buf = readFileSync(single);
    const n = Number(buf.readBigUInt64LE(0));
    const names = Object.keys(JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as object).filter((k) => k !== '__metadata__');
    renameSync(single, path.join(dir, 'model-00001-of-00002.safetensors'));
    const weightMap = Object.fromEntries(names.map((k, i) => [k, i % 2 ? 'model-00002-of-00002.safetensors' : 'model-00001-of-00002.safetensors']));
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    expectOneLineError(sway('score', '--base', dir, '--view', 'base', '--prompt', 'a'), /model-00002-of-00002\.safetensors/);
  });

  it('an adapter whose shapes do not match the base', () => {
    expectOneLineError(sway('score', '--base', path.join(root, 'base'), '--adapter', path.join(root, 'mismatch'), '--view', 'ft', '--prompt', 'a'), /shape|expected/i);
  });

  it('target_modules that match nothing', () => {
    expectOneLineError(sway('score', '--base', path.join(root, 'base'), '--adapter', path.join(root, 'no-targets'), '--view', 'ft', '--prompt', 'a'), /target_modules/);
  });

  it('an unknown model_type', () => {
    const dir = copyBase('gpt2');
    const cfgFile = path.join(dir, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(cfgFile, JSON.stringify({ ...cfg, model_type: 'gpt2' }));
    expectOneLineError(sway('score', '--base', dir, '--view', 'base', '--prompt', 'a'), /model_type/);
    rmSync(dir, { recursive: true, force: true });
  });
});
