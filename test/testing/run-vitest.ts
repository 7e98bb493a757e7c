// Runs vitest on a separate root in a child process and returns its JSON report, so
// tests can check what a user's `vitest run` would print for a sway suite.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface VitestCase {
  fullName: string;
  title: string;
  status: string;
  failureMessages: string[];
}

export const repoRoot = join(import.meta.dirname, '..', '..');

export function runVitestRoot(root: string, how: '--root' | '--config' = '--root'): { cases: VitestCase[]; exitCode: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sway-vitest-run-'));
  const outFile = join(dir, 'report.json');
  try {
    const child = spawnSync(
      process.execPath,
      [join(repoRoot, 'node_modules/vitest/vitest.mjs'), 'run', how, root, '--reporter=json', `--outputFile=${outFile}`],
      { cwd: repoRoot, encoding: 'utf8', timeout: 90_000, env: { ...process.env, NO_COLOR: '1', CI: '1' } },
    );
    const report = JSON.parse(readFileSync(outFile, 'utf8')) as { testResults: { assertionResults: VitestCase[] }[] };
    return { cases: report.testResults.flatMap((f) => f.assertionResults), exitCode: child.status, output: `${child.stdout}${child.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
