/**
 * PEFT's `ensure_weight_tying` on a model whose lm_head shares the input embedding: the
 * head gets a LoRA whose A and B are the embedding LoRA's B and A transposed (the same
 * parameters), with the head's own scaling. PEFT saves both; a file holding only the
 * embedding's still fills the head on load, so the head slot is derived when missing and
 * must agree with the embedding's when present.
 */
import { AdapterError } from '../../core/errors.js';
import { modulePath } from '../families.js';
import type { ArchSpec } from '../types.js';
import { slotScaling, type AdapterConfig } from './config.js';
import type { LoraSlot } from './types.js';

/** [rows, cols] row-major → [cols, rows] row-major. */
function transposed(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = m[i * cols + j] as number;
  return out;
}

function equal(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Whether the lm_head LoRA is the embedding's, tied (so target_modules need not name lm_head). */
export function headTiedToEmbedding(cfg: AdapterConfig, arch: ArchSpec, slots: readonly LoraSlot[]): boolean {
  return cfg.ensureWeightTying && arch.tieWordEmbeddings && slots.some((s) => s.target.scope === 'embed_tokens');
}

/** The head's A [r, hidden] and B [vocab, r] tied to an embedding slot (A_emb [r, vocab], B_emb [hidden, r]). */
export function tiedHeadFactors(emb: LoraSlot): { a: Float32Array; b: Float32Array } {
  return { a: transposed(emb.b, emb.outFeatures, emb.rank), b: transposed(emb.a, emb.rank, emb.inFeatures) };
}

export function tieHeadLora(file: string, cfg: AdapterConfig, arch: ArchSpec, slots: LoraSlot[]): LoraSlot[] {
  if (!headTiedToEmbedding(cfg, arch, slots)) return slots;
  const emb = slots.find((s) => s.target.scope === 'embed_tokens') as LoraSlot;
  const r = emb.rank;
  const { a, b } = tiedHeadFactors(emb);
  const head = slots.find((s) => s.target.scope === 'lm_head');
  if (head) {
    if (head.rank !== r || !equal(head.a, a) || !equal(head.b, b)) {
      throw new AdapterError(
        `${file}: ensure_weight_tying is set on a tied-embedding model, but the saved lm_head LoRA is not the embed_tokens LoRA transposed — the file is inconsistent; re-save the adapter with PEFT`,
      );
    }
    head.tiedToEmbedding = true;
    return slots;
  }
  const path = modulePath(arch.weights, { module: 'lm_head' });
  const tied: LoraSlot = {
    modulePath: path,
    target: { scope: 'lm_head' },
    rank: r,
    inFeatures: arch.hiddenSize,
    outFeatures: arch.vocabSize,
    scaling: slotScaling(cfg, path, r),
    a,
    b,
    bBias: null,
    magnitude: null,
    tiedToEmbedding: true,
  };
  // Slot order puts lm_head right before embed_tokens (the last slot).
  const at = slots.indexOf(emb);
  return [...slots.slice(0, at), tied, ...slots.slice(at)];
}
