/**
 * zod schemas of sway.yaml — the single source of truth for validation, TS types and the
 * JSON Schema (`sway schema`). Keys stay snake_case so the reference's files load unchanged.
 */
import { z } from 'zod';
import { SpecValidationError } from './errors.js';
import { CATEGORIES, type Category } from './results.js';

export const DEFAULT_WEIGHTS: Record<Category, number> = {
  adherence: 0.3,
  attribution: 0.35,
  calibration: 0.2,
  ablation: 0.15,
  baseline: 0.0,
};

export const SUPPORTED_SPEC_VERSION = 1;

export const ModelSpecSchema = z
  .object({
    kind: z.enum(['hf', 'mlx', 'dummy', 'custom', 'api']).default('hf').describe('backend kind; hf = local Hugging Face model run by the sway engine'),
    base: z.string().min(1).describe('HF model id (resolved offline from the local hub cache) or a local model directory'),
    adapter: z.string().nullable().default(null).describe('PEFT adapter directory (relative paths resolve against the spec file)'),
    dtype: z.enum(['auto', 'fp16', 'bf16', 'fp32']).default('auto'),
    device: z.string().default('auto'),
    trust_remote_code: z.boolean().default(false),
    entry_point: z.string().nullable().default(null),
    endpoint: z.string().nullable().default(null),
  })
  .strict();

export const DefaultsSchema = z
  .object({
    seed: z.number().int().default(0),
    top_k: z.number().int().min(1).max(1_000_000).default(256).describe('next-token distributions keep the top-k tokens plus a tail bucket; 1 or more'),
    differential: z.boolean().default(true),
    coverage_threshold: z.number().min(0).max(1).default(0.6),
    score_weights: z.record(z.string(), z.number()).nullable().default(null),
    concurrent_probes: z.number().int().min(1).max(32).default(1),
  })
  .strict();

export const SwaySpecSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.number().int().default(1),
    models: z.object({ base: ModelSpecSchema, ft: ModelSpecSchema }).strict(),
    defaults: DefaultsSchema.default(() => DefaultsSchema.parse({})),
    suite: z.array(z.record(z.string(), z.unknown())).default([]),
    dlm_source: z.string().nullable().default(null),
  })
  .strict();

export type ModelSpec = z.infer<typeof ModelSpecSchema>;
export type SuiteDefaults = z.infer<typeof DefaultsSchema>;
export type SwaySpec = z.infer<typeof SwaySpecSchema>;

/** Validates partial weights and lays them over the defaults (the reference's rules and messages). */
export function mergeScoreWeights(weights: Record<string, number> | null): Record<Category, number> {
  if (weights === null) return { ...DEFAULT_WEIGHTS };
  const known = [...CATEGORIES].sort();
  const unknown = Object.keys(weights).filter((k) => !(CATEGORIES as readonly string[]).includes(k)).sort();
  if (unknown.length) {
    throw new SpecValidationError(`score_weights contains unknown category keys: [${unknown.map((k) => `'${k}'`).join(', ')}]. Known categories: [${known.map((k) => `'${k}'`).join(', ')}]`);
  }
  if (Object.values(weights).some((v) => !Number.isFinite(v) || v < 0)) throw new SpecValidationError('score_weights values must be non-negative');
  const merged = { ...DEFAULT_WEIGHTS, ...weights } as Record<Category, number>;
  if (Object.values(merged).reduce((a, b) => a + b, 0) <= 0) throw new SpecValidationError('score_weights must have at least one positive weight');
  return merged;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** "did you mean" for a misspelt key. */
export function suggest(key: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(key, c);
    if (dist < bestD) [best, bestD] = [c, dist];
  }
  return best !== null && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}

function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: unknown = schema;
  for (const seg of path) {
    const def = (s as { def?: { type?: string; innerType?: unknown; shape?: Record<string, unknown>; element?: unknown } }).def;
    if (!def) return [];
    let cur = s as { def: Record<string, unknown> };
    while (cur.def['innerType']) cur = cur.def['innerType'] as { def: Record<string, unknown> };
    const shape = cur.def['shape'] as Record<string, unknown> | undefined;
    if (typeof seg === 'number') s = cur.def['element'];
    else s = shape?.[String(seg)];
    if (!s) return [];
  }
  let cur = s as { def?: Record<string, unknown> };
  while (cur?.def?.['innerType']) cur = cur.def['innerType'] as { def: Record<string, unknown> };
  const shape = cur?.def?.['shape'] as Record<string, unknown> | undefined;
  return shape ? Object.keys(shape) : [];
}

/** One line per zod issue: `models.ft.adapterr: unknown key (did you mean 'adapter'?)`. */
export function formatZodIssues(error: z.ZodError, schema: z.ZodType): string {
  const lines: string[] = [];
  for (const issue of error.issues) {
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, issue.path);
      for (const key of issue.keys) {
        const hint = suggest(key, known);
        const at = issue.path.length ? `${issue.path.join('.')}.${key}` : key;
        lines.push(`${at}: unknown key${hint ? ` (did you mean '${hint}'?)` : ''}${known.length ? `; allowed: ${known.join(', ')}` : ''}`);
      }
    } else {
      lines.push(`${where}: ${issue.message}`);
    }
  }
  return lines.join('\n');
}

export function parseSwaySpec(raw: unknown, source: string): SwaySpec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SpecValidationError('top-level document must be a mapping', source);
  const res = SwaySpecSchema.safeParse(raw);
  if (!res.success) throw new SpecValidationError(formatZodIssues(res.error, SwaySpecSchema), source);
  if (res.data.version !== SUPPORTED_SPEC_VERSION) {
    throw new SpecValidationError(`unsupported sway spec version: ${res.data.version} (this build supports ${SUPPORTED_SPEC_VERSION})`, source);
  }
  try {
    res.data.defaults.score_weights = mergeScoreWeights(res.data.defaults.score_weights);
  } catch (err) {
    throw new SpecValidationError((err as Error).message, source);
  }
  return res.data;
}
