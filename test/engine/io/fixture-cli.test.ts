// `sway fixture tiny` through the in-process CLI entry.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'sway-fxcli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function capture(): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  return { out: () => out, err: () => err };
}

describe('sway fixture tiny', () => {
  it('writes the fixture and lists its directories', async () => {
    const io = capture();
    const dir = path.join(root, 'm');
    expect(await main(['fixture', 'tiny', '--out', dir, '--family', 'mistral', '--seed', '4'])).toBe(0);
    expect(io.out()).toMatch(new RegExp(`^trained +${path.join(dir, "adapters", "trained")}$`, "m"));
    expect(io.err()).toMatch(/wrote mistral fixture \(seed 4\) in \d+ ms/);
    const cfg = JSON.parse(readFileSync(path.join(dir, 'base', 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ model_type: 'mistral', sliding_window: 8, tie_word_embeddings: false });
    expect(existsSync(path.join(dir, 'adapters', 'dora', 'adapter_model.safetensors'))).toBe(true);
  });
  it('rejects a bad family or seed with exit code 2', async () => {
    const io = capture();
    expect(await main(['fixture', 'tiny', '--out', path.join(root, 'x'), '--family', 'gpt2'])).toBe(2);
    expect(io.err()).toContain("--family must be one of llama, mistral, qwen2, qwen3, got 'gpt2'");
    expect(await main(['fixture', 'tiny', '--out', path.join(root, 'x'), '--seed', '-1'])).toBe(2);
    expect(io.err()).toContain('--seed must be');
    expect(existsSync(path.join(root, 'x'))).toBe(false);
  });
});
