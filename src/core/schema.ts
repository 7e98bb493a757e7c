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

/** Keys of `kind: http` (and `kind: api`): an OpenAI-compatible completions server. */
export const HttpModelKeys = {
  base_url: z.string().url().nullable().default(null).describe('http: server base URL, e.g. http://gpu-box:8000 (/v1/... is appended)'),
  api_key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).nullable().default(null).describe('http: name of the environment variable holding the API key (default: SWAY_API_KEY, then OPENAI_API_KEY); the key itself is never written to reports'),
  timeout_s: z.number().positive().default(60).describe('http: per-request timeout in seconds'),
  concurrency: z.number().int().min(1).max(256).default(4).describe('http: most requests in flight at once'),
  retries: z.number().int().min(0).max(10).default(2).describe('http: retries on 429, 5xx and connection errors (exponential backoff)'),
  top_logprobs: z.number().int().min(1).default(20).describe('http: most alternatives per position the server returns (vLLM --max-logprobs, default 20)'),
  vocab_size: z.number().int().positive().nullable().default(null).describe('http: vocabulary size of the served model (for the tail of top-k distributions); unknown when null'),
  views: z.record(z.string().regex(/^(ft|scaled_-?\d+\.\d\d|null_\d+(_rank\d+\.\d\d)?)$/, 'view ids look like ft, scaled_0.50, null_3 or null_3_rank2.00'), z.string().min(1)).default({}).describe('http: view id -> served model name (ft, scaled_0.50, null_3, null_3_rank2.00)'),
  adapter_dir: z.string().nullable().default(null).describe('http: directory (shared with the server) where sway writes scaled and null PEFT adapters'),
  server_adapter_dir: z.string().nullable().default(null).describe('http: the same directory as the server sees it, when it is mounted under another path'),
  runtime_lora: z.boolean().default(false).describe('http: load and unload adapters at run time (vLLM /v1/load_lora_adapter; needs VLLM_ALLOW_RUNTIME_LORA_UPDATING=True)'),
  server: z
    .enum(['auto', 'vllm', 'llama-cpp-python', 'openai'])
    .default('auto')
    .describe('http: server flavour; llama-cpp-python\'s echo logprobs sit one position late and are realigned (auto: detected from /v1/models)'),
  local_base: z.string().nullable().default(null).describe('http: local directory with the base model\'s config.json, read to draw null adapters (default: the adapter\'s base_model_name_or_path)'),
};

export const ModelSpecSchema = z
  .object({
    kind: z
      .enum(['hf', 'mlx', 'dummy', 'custom', 'api', 'http'])
      .default('hf')
      .describe('backend kind; hf = local Hugging Face model run by the sway engine; http = an OpenAI-compatible server (vLLM, llama.cpp); api = the reference\'s HTTP kind (endpoint + model name)'),
    base: z.string().min(1).describe('HF model id (resolved offline from the local hub cache) or a local model directory; for http/api: the served model name of the base view'),
    adapter: z.string().nullable().default(null).describe('PEFT adapter directory (relative paths resolve against the spec file)'),
    dtype: z.enum(['auto', 'fp16', 'bf16', 'fp32']).default('auto'),
    device: z.string().default('auto'),
    trust_remote_code: z.boolean().default(false),
    entry_point: z.string().nullable().default(null),
    endpoint: z.string().nullable().default(null).describe('api: server base URL (the reference\'s key; same as base_url)'),
    ...HttpModelKeys,
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
