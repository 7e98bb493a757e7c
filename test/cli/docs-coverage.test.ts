/** Every command and long option `sway --help` lists is documented in docs/cli.md, in its own section. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';

const doc = readFileSync(resolve(import.meta.dirname, '../../docs/cli.md'), 'utf8');

/** The text of the `## ...` sections whose heading names `sway PATH` (a section may cover several commands). */
function sectionsFor(path: string): string {
  const parts = doc.split(/^## /m).slice(1);
  return parts.filter((p) => p.split('\n')[0]!.includes(`sway ${path}`)).join('\n');
}

function commands(cmd: Command, prefix: string[] = []): { path: string; cmd: Command }[] {
  return cmd.commands
    .filter((c) => c.name() !== 'help')
    .flatMap((c) => {
      const path = [...prefix, c.name()];
      return [{ path: path.join(' '), cmd: c }, ...commands(c, path)];
    });
}

describe('docs/cli.md covers the CLI', () => {
  const all = commands(buildProgram());

  it('has a section for every command', () => {
    const missing = all.filter(({ path }) => !sectionsFor(path)).map(({ path }) => path);
    expect(missing).toEqual([]);
  });

  it('mentions every long option of a command in that command’s section', () => {
    const missing: string[] = [];
    for (const { path, cmd } of all) {
      const text = sectionsFor(path);
      for (const o of cmd.options) {
        const flag = o.long;
        if (!flag || flag === '--help') continue;
        if (!text.includes(flag) && !(o.short && new RegExp(`(^|[\\s\\[\\x60])${o.short}\\b`).test(text))) missing.push(`${path} ${flag}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
