import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '..', '..');

interface Hook {
  id: string;
  entry: string;
  language: string;
  pass_filenames: boolean;
  files: string;
}

describe('.pre-commit-hooks.yaml', () => {
  const hooks = parse(readFileSync(join(root, '.pre-commit-hooks.yaml'), 'utf8')) as Hook[];

  it('declares the sway-gate hook running `sway gate` with the spec from args', () => {
    const gate = hooks.find((h) => h.id === 'sway-gate');
    expect(gate).toMatchObject({ entry: 'sway gate', language: 'system', pass_filenames: false });
    expect(hooks.map((h) => h.id)).toEqual(['sway-gate', 'sway-gate-npx']);
  });

  it('triggers on specs, .dlm documents and adapter files only', () => {
    for (const hook of hooks) {
      const re = new RegExp(hook.files);
      for (const p of ['sway.yaml', 'evals/sway.yml', 'notes/doc.dlm', 'adapter/adapter_config.json', 'runs/adapter_v2/adapter_model.safetensors']) {
        expect(re.test(p), `${hook.id} should match ${p}`).toBe(true);
      }
      for (const p of ['README.md', 'src/index.ts', 'mysway.yaml.bak', 'adapter/README.md', 'model/model.safetensors']) {
        expect(re.test(p), `${hook.id} should not match ${p}`).toBe(false);
      }
    }
  });
});

describe('examples/github-actions/sway-gate.yml', () => {
  const workflow = parse(readFileSync(join(root, 'examples/github-actions/sway-gate.yml'), 'utf8')) as {
    jobs: { gate: { steps: { name?: string; run?: string }[] } };
  };
  const steps = workflow.jobs.gate.steps;

  it('writes the Markdown report to the job summary', () => {
    expect(steps.find((s) => s.name === 'Run the suite')?.run).toContain('--markdown sway-report.md');
    expect(steps.find((s) => s.name === 'Post the report to the job summary')?.run).toContain('>> "$GITHUB_STEP_SUMMARY"');
  });

  it('gate step passes and fails with the `sway gate` rule', () => {
    const script = steps.find((s) => s.name === 'Gate')?.run ?? '';
    const dir = mkdtempSync(join(tmpdir(), 'sway-gha-'));
    const gate = (overall: number, verdicts: string[]) => {
      const report = { probes: verdicts.map((verdict, i) => ({ name: `p${i}`, verdict })), score: { overall } };
      writeFileSync(join(dir, 'sway-report.json'), JSON.stringify(report));
      try {
        const out = execFileSync('bash', ['-c', script], { cwd: dir, env: { ...process.env, THRESHOLD: '0.6' }, encoding: 'utf8' });
        return { code: 0, out: out.trim() };
      } catch (err) {
        const e = err as { status: number; stdout: string };
        return { code: e.status, out: e.stdout.trim() };
      }
    };
    try {
      expect(gate(0.75, ['pass', 'warn'])).toEqual({ code: 0, out: 'gate passed — overall=0.75' });
      expect(gate(0.5, ['pass'])).toEqual({ code: 1, out: '::error title=sway gate::overall=0.50 < 0.60' });
      expect(gate(0.9, ['pass', 'fail'])).toEqual({ code: 1, out: '::error title=sway gate::probe(s) reported FAIL: p1' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
