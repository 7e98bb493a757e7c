/**
 * Deterministic paraphrase candidates for `sway mine paraphrases`. The reference draws
 * WordNet synonym substitutions through nlpaug; here a seeded generator combines one of a
 * few question frames with 1–3 substitutions from a small built-in synonym table (both
 * directions). Same prompt + seed → same candidates.
 */
import { Rng } from '../../core/rng.js';

const PAIRS: [string, string][] = [
  ['important', 'significant'], ['interesting', 'notable'], ['good', 'fine'], ['great', 'excellent'], ['small', 'tiny'],
  ['large', 'big'], ['fast', 'quick'], ['begin', 'start'], ['end', 'finish'], ['show', 'demonstrate'], ['use', 'employ'],
  ['make', 'create'], ['help', 'assist'], ['find', 'discover'], ['many', 'numerous'], ['old', 'ancient'], ['new', 'recent'],
  ['easy', 'simple'], ['hard', 'difficult'], ['strong', 'robust'], ['idea', 'concept'], ['result', 'outcome'],
  ['method', 'approach'], ['common', 'ordinary'], ['place', 'location'], ['way', 'manner'], ['know', 'understand'],
  ['think', 'consider'], ['say', 'state'], ['tell', 'inform'], ['ask', 'inquire'], ['give', 'provide'], ['see', 'observe'],
  ['want', 'desire'], ['colour', 'hue'], ['color', 'hue'], ['often', 'frequently'], ['where', 'in which place'],
  ['what', 'which'], ['how', 'in what way'], ['why', 'for what reason'], ['describe', 'explain'], ['nest', 'roost'],
];
const SYN = new Map<string, string[]>();
for (const [a, b] of PAIRS) {
  SYN.set(a, [...(SYN.get(a) ?? []), b]);
  SYN.set(b, [...(SYN.get(b) ?? []), a]);
}

const FRAMES: ((s: string) => string)[] = [
  (s) => s,
  (s) => `Could you tell me: ${s}`,
  (s) => `Quick question — ${s}`,
  (s) => `I was wondering, ${lowerFirst(s)}`,
  (s) => `${s} Please answer briefly.`,
  (s) => `Do you know ${lowerFirst(s)}`,
];

function lowerFirst(s: string): string {
  return s ? s[0]!.toLowerCase() + s.slice(1) : s;
}

function substitute(prompt: string, rng: Rng): string {
  const tokens = prompt.split(/(\s+)/);
  const slots = tokens.map((t, i) => ({ i, key: t.toLowerCase().replace(/[^a-z]/g, '') })).filter((t) => SYN.has(t.key));
  if (slots.length === 0) return prompt;
  const count = Math.min(slots.length, 1 + rng.int(3));
  for (let c = 0; c < count; c++) {
    const pick = slots.splice(rng.int(slots.length), 1)[0]!;
    const options = SYN.get(pick.key)!;
    const rep = options[rng.int(options.length)]!;
    const tok = tokens[pick.i]!;
    const word = /[A-Z]/.test(tok[0] ?? '') ? rep[0]!.toUpperCase() + rep.slice(1) : rep;
    tokens[pick.i] = tok.replace(/[A-Za-z]+/, word);
  }
  return tokens.join('');
}

/** n candidate rewrites of `prompt` (may contain duplicates; the miner de-duplicates). */
export function generateCandidates(prompt: string, n: number, seed: number): string[] {
  const rng = new Rng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const frame = FRAMES[rng.int(FRAMES.length)]!;
    out.push(frame(substitute(prompt, rng)));
  }
  return out;
}
