/**
 * End to end: a deterministic adapter built (through the tiny-model generator) from the Q/A
 * pairs of one instruction section of the fixture .dlm document gives that section a
 * positive section_internalization attribution and none of the other sections.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineBackend, type EngineBackend } from '../../src/backends/engine.js';
import { buildTrainedAdapter, writeTinyModel } from '../../src/engine/fixtures/index.js';
import { makeRunContext } from '../../src/probes/context.js';
import { runSectionInternalization, sectionInternalizationSchema } from '../../src/probes/attribution/section-internalization.js';
import { loadDlmSource, type DlmSource } from '../../src/suite/dlm/source.js';

const FIXTURE = path.join(import.meta.dirname, '../fixtures/dlm/garden.dlm');
let root: string;
let backend: EngineBackend;
let src: DlmSource;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'sway-sis-e2e-'));
  src = loadDlmSource(FIXTURE, { DLM_HOME: path.join(root, 'no-home') });
  const trained = src.sections[1]!;
  const base = path.join(root, 'base');
  writeTinyModel(base, { family: 'llama', seed: 3 });
  buildTrainedAdapter(
    base,
    trained.probes.map((p) => ({ prompt: p.prompt, continuation: p.gold })),
    path.join(root, 'adapter'),
    { seed: 1, rank: 64, tooManyTargets: 'most-frequent' },
  );
  backend = await createEngineBackend({ base, adapter: path.join(root, 'adapter'), threads: 1 });
}, 60_000);

afterAll(async () => {
  await backend?.close?.();
  rmSync(root, { recursive: true, force: true });
});

describe('section_internalization on a .dlm-built adapter', () => {
  it('attributes the lift to the trained section only', async () => {
    const r = await runSectionInternalization(
      sectionInternalizationSchema.parse({ name: 'sis' }),
      makeRunContext({ backend, sections: src.sections, docText: src.docText }),
    );
    const per = r.evidence['per_section'] as { section_id: string; kind: string; tag: string; effective_sis: number; passed: boolean }[];
    const trainedId = src.sections[1]!.id;
    expect(per.length).toBe(5);
    for (const p of per) {
      if (p.section_id === trainedId) {
        expect(p.passed).toBe(true);
        expect(p.effective_sis).toBeGreaterThan(0.5); // measured 0.825
        expect(p.kind).toBe('instruction');
        expect(p.tag).toBe('');
      } else {
        expect(p.passed).toBe(false);
        expect(p.effective_sis).toBeLessThan(0); // measured -0.24 … -0.18
      }
    }
    expect(r.message).toMatch(/^1\/5 sections cleared effective_sis≥0\.05/);
  }, 60_000);
});
