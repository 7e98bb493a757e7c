/**
 * Reading sway.yaml: YAML with line/column errors and alias-bomb limits, strict schema
 * validation, then every probe entry validated at once before any model is loaded.
 * Model and adapter paths that are relative resolve against the spec file's directory.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { homedir } from 'node:os';
import { parseDocument } from 'yaml';
import { SpecValidationError } from '../core/errors.js';
import { parseSwaySpec, type SwaySpec } from '../core/schema.js';
import { validateAllProbes, type BuiltProbe } from '../probes/registry.js';

/**
 * The reference reads specs with PyYAML (YAML 1.1), where yes/no/on/off are booleans but,
 * unlike the 1.1 spec, y/n are not. YAML 1.2's core schema plus this tag reads the same.
 */
const PYYAML_BOOL = {
  identify: (v: unknown) => typeof v === 'boolean',
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: /^(?:[Yy]es|YES|[Nn]o|NO|[Oo]n|ON|[Oo]ff|OFF)$/,
  resolve: (str: string) => /^(?:[Yy]es|YES|[Oo]n|ON)$/.test(str),
};

export const MAX_SPEC_BYTES = 4 * 1024 * 1024;

export interface LoadedSpec {
  spec: SwaySpec;
  /** Path as given (reports) and its directory (relative paths). */
  specPath: string;
  specDir: string;
  probes: BuiltProbe[];
  /** Things the loader noticed that do not stop a run; executeSpec reports them. */
  warnings?: string[];
}

function resolvePath(p: string, dir: string): string {
  if (p.startsWith('~/')) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(dir, p);
}

/** A model reference that is a path (relative or absolute) becomes absolute; an HF id stays as is. */
function resolveModelRef(ref: string, dir: string): string {
  const candidate = resolvePath(ref, dir);
  const looksLikePath = ref.startsWith('.') || ref.startsWith('/') || ref.startsWith('~') || ref.split('/').length !== 2;
  try {
    if (statSync(candidate).isDirectory()) return candidate;
  } catch {
    /* not a local directory */
  }
  return looksLikePath ? candidate : ref;
}

export function loadSpecText(text: string, sourceName: string, specDir: string = process.cwd()): LoadedSpec {
  if (Buffer.byteLength(text) > MAX_SPEC_BYTES) throw new SpecValidationError(`spec is larger than ${MAX_SPEC_BYTES / 1024 / 1024} MiB; is this the right file?`, sourceName);
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, customTags: [PYYAML_BOOL] });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new SpecValidationError(`invalid YAML: ${e.message.split('\n')[0]}`, sourceName);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new SpecValidationError(`invalid YAML: ${(err as Error).message.split('\n')[0]}`, sourceName);
  }
  const spec = parseSwaySpec(raw, sourceName);
  for (const side of ['base', 'ft'] as const) {
    const m = spec.models[side];
    if (m.kind === 'hf') m.base = resolveModelRef(m.base, specDir);
    if (m.adapter) m.adapter = resolvePath(m.adapter, specDir);
    if (m.adapter_dir) m.adapter_dir = resolvePath(m.adapter_dir, specDir);
    if (m.local_base) m.local_base = resolveModelRef(m.local_base, specDir);
  }
  if (spec.dlm_source) spec.dlm_source = resolvePath(spec.dlm_source, specDir);
  let probes: BuiltProbe[];
  try {
    probes = validateAllProbes(spec.suite);
  } catch (err) {
    throw new SpecValidationError((err as Error).message, sourceName);
  }
  return { spec, specPath: sourceName, specDir, probes };
}

export function loadSpecFile(path: string): LoadedSpec {
  const abs = resolvePath(path, process.cwd());
  let text: string;
  try {
    const st = statSync(abs);
    if (st.isDirectory()) throw new SpecValidationError(`is a directory; pass the sway.yaml file inside it`, path);
    if (st.size > MAX_SPEC_BYTES) throw new SpecValidationError(`spec is larger than ${MAX_SPEC_BYTES / 1024 / 1024} MiB; is this the right file?`, path);
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    if (err instanceof SpecValidationError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new SpecValidationError(code === 'ENOENT' ? `spec file not found: ${abs}` : `cannot read spec file: ${(err as Error).message}`, path);
  }
  return loadSpecText(text, path, dirname(abs));
}
