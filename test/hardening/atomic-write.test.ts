import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { staleTempFiles, writeFileAtomic, writeFileAtomicAsync } from '../../src/core/atomic-write.js';
import { SwayError } from '../../src/core/errors.js';
import { writeJsonAtomic } from '../../src/serve/watch/history.js';
import { Watcher } from '../../src/serve/watch/watcher.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sway-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that ran and has exited, so no process owns it now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('atomic writes', () => {
  it('removes temp files a killed writer left beside the target, and only those', async () => {
    const dead = deadPid();
    const leftovers = [`.r.html.${dead}.1733000000000.tmp`, `.r.html.${dead}.1733000000001.7.tmp`];
    const keep = [`.r.html.${process.pid}.1.1.tmp`, `.other.html.${dead}.1.tmp`, `r.html.${dead}.1.tmp`, 'notes.txt'];
    for (const n of [...leftovers, ...keep]) writeFileSync(join(dir, n), 'x');
    expect(staleTempFiles(join(dir, 'r.html'), readdirSync(dir)).sort()).toEqual([...leftovers].sort());
    writeFileAtomic(join(dir, 'r.html'), '<html>');
    expect(readdirSync(dir).sort()).toEqual([...keep, 'r.html'].sort());

    for (const n of leftovers) writeFileSync(join(dir, n.replace('r.html', 'a.json')), 'x');
    await writeFileAtomicAsync(join(dir, 'a.json'), '{}');
    expect(readdirSync(dir).filter((n) => n.includes('a.json'))).toEqual(['a.json']);
  });

  it('refuses a directory target with one SwayError naming the target, not the temp file (exit 2)', async () => {
    const target = join(dir, 'report.json');
    mkdirSync(target);
    for (const write of [() => writeFileAtomic(target, '{}'), () => writeFileAtomicAsync(target, '{}')]) {
      let caught: unknown;
      try {
        await write();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(SwayError);
      expect((caught as SwayError).exitCode).toBe(2);
      expect((caught as SwayError).message).toBe(`cannot write ${target}: it is a directory; give a file path`);
    }
    expect(readdirSync(dir)).toEqual(['report.json']);
  });

  it('names the target when a parent is a file', () => {
    writeFileSync(join(dir, 'plain'), 'x');
    expect(() => writeFileAtomic(join(dir, 'plain', 'r.json'), '{}')).toThrow(/^cannot write .*plain\/r\.json: a parent of it is a file/);
  });

  it('the watch history goes through the same writer (stale temp files of a killed daemon are cleaned)', async () => {
    const stale = `.h.result.json.${deadPid()}.5.tmp`;
    writeFileSync(join(dir, stale), 'half');
    await writeJsonAtomic(dir, 'h.result.json', { b: 1, a: 2 });
    expect(readdirSync(dir)).toEqual(['h.result.json']);
    expect(readFileSync(join(dir, 'h.result.json'), 'utf8')).toBe('{\n  "a": 2,\n  "b": 1\n}\n');
  });
});

describe('watch history numbering', () => {
  it('continues after the newest history file instead of restarting at 00001', async () => {
    const historyDir = join(dir, 'history');
    const make = () =>
      new Watcher(
        { specPath: '/s/sway.yaml', historyDir, keep: 0, threshold: 0.6, onFailCommand: null, debounceMs: 0 },
        { fingerprint: async () => 'x', now: () => 0, runner: async () => ({ probes: [], score: { overall: 0.9 } }), runHook: () => undefined },
      );
    const first = make();
    expect((await first.runNow()).sequence).toBe(1);
    expect((await first.runNow()).sequence).toBe(2);
    const restarted = make();
    const third = await restarted.runNow();
    expect(third.sequence).toBe(3);
    expect(third.resultPath).toMatch(/-00003\.result\.json$/);
  });
});
