/** The core 6-dimension style fingerprint (sentence length, spread, vocabulary, word length, punctuation, paragraphing). */
import { popVariance } from '../../core/stats.js';

// Python's `\b[A-Za-z][A-Za-z'-]*\b` with Unicode word boundaries (letters, digits, '_').
const WORD = /(?<![\p{L}\p{N}_])[A-Za-z][A-Za-z'-]*(?:(?<=[\p{L}\p{N}_])(?![\p{L}\p{N}_])|(?<![\p{L}\p{N}_])(?=[\p{L}\p{N}_]))/gu;
const PUNCT = new Set(['.', ',', ':', ';', '!', '?', '-', '—', '(', ')', '[', ']', '"', "'", '/']);

export const CORE_DIMS = 6;

const words = (s: string): string[] => s.match(WORD) ?? [];

export function fingerprint(text: string): number[] {
  const zeros = new Array<number>(CORE_DIMS).fill(0);
  if (text.trim() === '') return zeros;
  const all = words(text);
  if (all.length === 0) return zeros;
  const sentences = text.split(/(?<=[.!?])\s+/u).filter((s) => s.trim() !== '');
  const paragraphs = text.split(/\n\s*\n/u).filter((p) => p.trim() !== '');
  let lens = sentences.map((s) => words(s).length).filter((n) => n > 0);
  if (lens.length === 0) lens = [all.length];
  const meanLen = lens.reduce((a, b) => a + b, 0) / lens.length;
  const stdLen = lens.length > 1 ? Math.sqrt(popVariance(lens)) : 0;
  const ttr = new Set(all.map((w) => w.toLowerCase())).size / all.length;
  const meanWord = all.reduce((a, w) => a + Array.from(w).length, 0) / all.length;
  const cps = Array.from(text);
  const punct = cps.filter((c) => PUNCT.has(c)).length;
  const perPara = paragraphs.length ? paragraphs.reduce((a, p) => a + words(p).length, 0) / paragraphs.length : all.length;
  return [meanLen / 30, stdLen / 30, ttr, meanWord / 10, (punct / Math.max(cps.length, 1)) * 10, 30 / Math.max(perPara, 1)];
}

/** Projection of (ft - base) onto (doc - base), in units of ||doc - base||; 0 when doc == base. */
export function projectionShift(base: readonly number[], ft: readonly number[], doc: readonly number[]): number {
  let dot = 0;
  let norm = 0;
  for (let i = 0; i < base.length; i++) {
    const d = doc[i]! - base[i]!;
    dot += (ft[i]! - base[i]!) * d;
    norm += d * d;
  }
  return norm === 0 ? 0 : dot / norm;
}
