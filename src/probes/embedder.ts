/**
 * The local sentence embedder used where the reference loads sentence-transformers
 * (all-MiniLM-L6-v2), which cannot be downloaded here: a deterministic hashed bag of
 * word unigrams and character 3-grams (512 dims, signed hashing, L2-normalised). It sees
 * surface overlap, not meaning; reports name it so readers know what the similarities are.
 */
export const LOCAL_EMBEDDER = 'sway-hash-ngram-512';
const DIMS = 512;

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function embed(text: string): Float64Array {
  const v = new Float64Array(DIMS);
  const norm = text.toLowerCase().normalize('NFKC');
  const words = norm.match(/[\p{L}\p{N}]+/gu) ?? [];
  const add = (feature: string, weight: number) => {
    const h = hash(feature);
    v[h % DIMS] = (v[h % DIMS] as number) + ((h >>> 31) & 1 ? -weight : weight);
  };
  for (const w of words) add(`w:${w}`, 1);
  const padded = ` ${words.join(' ')} `;
  for (let i = 0; i + 3 <= padded.length; i++) add(`c:${padded.slice(i, i + 3)}`, 0.5);
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  if (n > 0) for (let i = 0; i < DIMS; i++) v[i] = (v[i] as number) / n;
  return v;
}

export function cosine(a: Float64Array, b: Float64Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
