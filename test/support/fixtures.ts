/** Shared tiny fixtures for tests: generated once per process into a temp directory. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyFixtures, type TinyFixturePaths } from '../../src/engine/fixtures/tiny-suite.js';
import type { Family } from '../../src/engine/types.js';

const cache = new Map<string, TinyFixturePaths>();

export function tinyFixtures(family: Family = 'llama', seed = 0): TinyFixturePaths {
  const key = `${family}:${seed}`;
  let hit = cache.get(key);
  if (!hit) {
    hit = writeTinyFixtures(join(mkdtempSync(join(tmpdir(), 'sway-test-')), `${family}-${seed}`), { family, seed });
    cache.set(key, hit);
  }
  return hit;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
