/**
 * zod schemas of sway.yaml. Keys stay snake_case so the reference's files load unchanged.
 * Scalars coerce like the reference's lax validation ("3" → 3 for ints, "1e-3" → 0.001
 * for floats, yes/no/on/off for booleans). Every object is strict: an unknown key is an
 * error that names the key and suggests the closest known one.
 */
import { z } from 'zod';
import { CATEGORIES, type Category } from './results.js';
import { pyStrList } from './pyformat.js';

export const SUPPORTED_VERSION = 1;

export const DEFAULT_SCORE_WEIGHTS: Readonly<Record<Category, number>> = Object.freeze({
  adherence: 0.3,
  attribution: 0.35,
  calibration: 0.2,
  ablation: 0.15,
  baseline: 0.0,
});

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(cur + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] as number;
}

/** The closest known key within a small edit distance, or null. */
export function suggestKey(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}

export function unknownKeysMessage(keys: readonly string[], known: readonly string[]): string {
  const parts = keys.map((k) => {
    const s = suggestKey(k, known);
    return s ? `'${k}' (did you mean '${s}'?)` : `'${k}'`;
  });
  return `unknown key${keys.length === 1 ? '' : 's'} ${parts.join(', ')}; allowed keys: ${[...known].sort().join(', ')}`;
}

/** A strict object whose unknown-key error names the key and a suggestion. */
export function strictObject<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? unknownKeysMessage(iss.keys, known) : undefined),
  });
}

const INT_TEXT = /^\s*[-+]?\d+\s*$/;
const FLOAT_TEXT = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
const TRUE_TEXT = new Set(['true', 'yes', 'on', 'y', '1', 't']);
const FALSE_TEXT = new Set(['false', 'no', 'off', 'n', '0', 'f']);

/** Integer accepting "3" and integral floats. */
export const laxInt = z.preprocess(
  (v) => (typeof v === 'string' && INT_TEXT.test(v) ? Number(v) : v),
  z.number().int(),
);

/** Finite float accepting ints and numeric strings ("1e-3"). */
export const laxFloat = z.preprocess(
  (v) => (typeof v === 'string' && FLOAT_TEXT.test(v) ? Number(v) : v),
  z.number(),
);

/** Float that may be NaN or ±inf (the probe itself reports those, e.g. rank_multipliers). */
export const laxAnyFloat = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const t = v.trim().toLowerCase();
    if (t === 'nan' || t === '.nan') return NaN;
    if (t === 'inf' || t === '.inf' || t === '+inf') return Infinity;
    if (t === '-inf' || t === '-.inf') return -Infinity;
    return FLOAT_TEXT.test(v) ? Number(v) : v;
  },
  z.custom<number>((v) => typeof v === 'number', { message: 'expected a number' }),
);

export const laxBool = z.preprocess((v) => {
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (TRUE_TEXT.has(t)) return true;
    if (FALSE_TEXT.has(t)) return false;
  }
  if (v === 1) return true;
  if (v === 0) return false;
  return v;
}, z.boolean());

export const ModelSpecSchema = strictObject({
  kind: z.enum(['hf', 'mlx', 'dummy', 'custom', 'api']).default('hf'),
  base: z.string(),
  adapter: z.string().nullable().default(null),
  dtype: z.enum(['auto', 'fp16', 'bf16', 'fp32']).default('auto'),
  device: z.string().default('auto'),
  trust_remote_code: laxBool.default(false),
  entry_point: z.string().nullable().default(null),
  endpoint: z.string().nullable().default(null),
});

const scoreWeights = z
  .record(z.string(), laxFloat)
  .nullable()
  .default(null)
  .superRefine((w, ctx) => {
    if (w === null) return;
    const known = [...CATEGORIES].sort();
    const unknown = Object.keys(w).filter((k) => !(CATEGORIES as readonly string[]).includes(k)).sort();
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `score_weights contains unknown category keys: ${pyStrList(unknown)}. Known categories: ${pyStrList(known)}`,
      });
      return;
    }
    if (Object.values(w).some((v) => v < 0)) {
      ctx.addIssue({ code: 'custom', message: 'score_weights values must be non-negative' });
      return;
    }
    const merged = { ...DEFAULT_SCORE_WEIGHTS, ...w };
    if (Object.values(merged).reduce((a, b) => a + b, 0) <= 0) {
      ctx.addIssue({ code: 'custom', message: 'score_weights must have at least one positive weight' });
    }
  })
  .transform((w) => (w === null ? null : ({ ...DEFAULT_SCORE_WEIGHTS, ...w } as Record<Category, number>)));

export const SuiteDefaultsSchema = strictObject({
  seed: laxInt.default(0),
  top_k: laxInt.default(256),
  differential: laxBool.default(true),
  coverage_threshold: laxFloat.pipe(z.number().min(0).max(1)).default(0.6),
  score_weights: scoreWeights,
  concurrent_probes: laxInt.default(1),
});

export const SwaySpecSchema = strictObject({
  $schema: z.string().optional(),
  version: laxInt.default(SUPPORTED_VERSION),
  models: strictObject({ base: ModelSpecSchema, ft: ModelSpecSchema }),
  defaults: SuiteDefaultsSchema.default(() => SuiteDefaultsSchema.parse({})),
  suite: z.array(z.record(z.string(), z.unknown())).default([]),
  dlm_source: z.string().nullable().default(null),
});

export type ModelSpec = z.output<typeof ModelSpecSchema>;
export type SuiteDefaults = z.output<typeof SuiteDefaultsSchema>;
export type SwaySpec = z.output<typeof SwaySpecSchema>;

/** JSON Schema of sway.yaml for editor autocomplete (probe entries stay open mappings). */
export function swaySpecJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(SwaySpecSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
