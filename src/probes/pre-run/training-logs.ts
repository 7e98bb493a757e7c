/** dlm training logs (train-*.jsonl) → {step: loss}, later records overwrite earlier ones. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export class TrainingLogError extends Error {}

/** JSON.parse that also accepts Python's NaN / Infinity / -Infinity literals outside strings. */
export function parsePyJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch (first) {
    if (!/NaN|Infinity/.test(line)) throw first;
    const fixed = line.replace(/("(?:\\.|[^"\\])*")|-?Infinity|NaN/g, (m, str: string | undefined) =>
      str ?? (m === 'NaN' ? '"__nan__"' : m.startsWith('-') ? '"__-inf__"' : '"__inf__"'),
    );
    return JSON.parse(fixed, (_k, v: unknown) =>
      v === '__nan__' ? NaN : v === '__inf__' ? Infinity : v === '__-inf__' ? -Infinity : v,
    );
  }
}

/** Python int(): ints, truncated floats, integer strings. */
function pyInt(v: unknown): number | null {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : null;
  if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) return Number(v);
  return null;
}

/** Python float(): numbers and numeric strings (nan/inf words included). */
function pyFloat(v: unknown): number | null {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'nan' || t === '+nan' || t === '-nan') return NaN;
    if (/^[-+]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
    if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/.test(t)) return Number(t);
  }
  return null;
}

export function collectSteps(paths: readonly string[]): Map<number, number> {
  const steps = new Map<number, number>();
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new TrainingLogError(`failed to read ${path}: ${(err as Error).message}`);
    }
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '') continue;
      let rec: unknown;
      try {
        rec = parsePyJson(line);
      } catch (err) {
        if (i === 0) throw new TrainingLogError(`first line of ${basename(path)} is not valid JSON: ${(err as Error).message}`);
        continue;
      }
      if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) continue;
      const r = rec as Record<string, unknown>;
      if (r['type'] !== 'step') continue;
      const step = pyInt(r['step']);
      const loss = pyFloat(r['loss']);
      if (step === null || loss === null) continue;
      steps.set(step, Number.isFinite(loss) ? loss : Infinity);
    }
  }
  return steps;
}
