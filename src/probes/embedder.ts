/**
 * The local sentence embedder used by cluster_kl and adapter_revert. The reference uses a
 * sentence-transformers model we cannot download at run time, so sway embeds text with a
 * deterministic character n-gram hashing embedder: lower-cased word-boundary-padded
 * 3- and 4-grams, each hashed (FNV-1a) to one of 512 dimensions with a hashed sign,
 * log-scaled counts, L2-normalised. It captures surface/lexical similarity, not meaning.
 */
export const LOCAL_EMBEDDER_NAME = 'char-ngram-hash-512 (local, lexical)';
const DIM = 512;

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function embedText(text: string): Float64Array {
  const v = new Float64Array(DIM);
  const words = text.toLowerCase().normalize('NFKC').split(/[^\p{L}\p{N}]+/u).filter((w) => w);
  for (const w of words) {
    const padded = `<${w}>`;
    for (const n of [3, 4]) {
      for (let i = 0; i + n <= padded.length; i++) {
        const h = fnv1a(padded.slice(i, i + n));
        v[h % DIM] = (v[h % DIM] as number) + ((h >>> 31) & 1 ? -1 : 1);
      }
    }
  }
  let norm = 0;
  for (let i = 0; i < DIM; i++) {
    const x = v[i] as number;
    v[i] = Math.sign(x) * Math.log1p(Math.abs(x));
    norm += (v[i] as number) ** 2;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < DIM; i++) v[i] = (v[i] as number) / norm;
  return v;
}

export function embedAll(texts: readonly string[]): Float64Array[] {
  return texts.map(embedText);
}

/** Cosine similarity; 0 when either vector has zero norm. */
export function cosine(a: Float64Array, b: Float64Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return na === 0 || nb === 0 ? 0 : dot / (Math.sqrt(na) * Math.sqrt(nb));
}
