/** The shipped external-perplexity corpus: loading (comments dropped) and character chunking. */
import { readFileSync } from 'node:fs';
import { dataFile } from './data-files.js';

export const CORPORA = ['public_domain_en'] as const;

export function loadCorpus(name: string): string {
  if (!(CORPORA as readonly string[]).includes(name)) {
    throw new Error(`unknown external-perplexity corpus '${name}'; available: ['public_domain_en']`);
  }
  const text = readFileSync(dataFile(`${name}.txt`), 'utf8');
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))
    .join('\n\n');
}

/** Slices of chunkChars code points; at most maxChunks; a slice shorter than 64 is dropped. */
export function chunkCorpus(text: string, chunkChars: number, maxChunks: number): string[] {
  if (chunkChars <= 0) throw new Error(`chunk_chars must be positive; got ${chunkChars}`);
  if (maxChunks <= 0) throw new Error(`max_chunks must be positive; got ${maxChunks}`);
  const cps = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < cps.length && out.length < maxChunks; i += chunkChars) {
    const piece = cps.slice(i, i + chunkChars);
    if (piece.length >= 64) out.push(piece.join(''));
  }
  return out;
}
