/**
 * Reading sway.yaml: YAML with line/column errors and alias-bomb limits, strict schema
 * validation, then every probe entry validated at once before any model is loaded.
 * Model and adapter paths that are relative resolve against the spec file's directory.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { homedir } from 'node:os';
import { parseDocument } from 'yaml';
import { SpecValidationError, isSwayError } from '../core/errors.js';
import { parseSwaySpec, type SwaySpec } from '../core/schema.js';
import { decodeUtf8Strict } from '../core/utf8.js';
import { validateAllProbes, type BuiltProbe } from '../probes/registry.js';
import { dlmStoreRoot, resolveDlm } from './dlm/resolve.js';

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
  /** Things the loader filled in for the user (unnamed entries, an adapter from the .dlm store); callers may print them. */
  notes?: string[];
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

/**
 * The reference's examples write `name: null`; an entry without a name is named after its
 * kind (`delta_kl`, then `delta_kl_2`, ...), so reports still have distinct names.
 */
function nameUnnamedEntries(suite: Record<string, unknown>[]): string[] {
  const taken = new Set(suite.map((e) => e['name']).filter((n): n is string => typeof n === 'string'));
  const named: string[] = [];
  for (const entry of suite) {
    if ((entry['name'] !== undefined && entry['name'] !== null) || typeof entry['kind'] !== 'string') continue;
    let name = entry['kind'];
    for (let k = 2; taken.has(name); k++) name = `${entry['kind']}_${k}`;
    taken.add(name);
    entry['name'] = name;
    named.push(name);
  }
  return named;
}

/**
 * A spec with `dlm_source` and an hf fine-tune without `adapter` means "the adapter dlm
 * trained for that document": take it from the dlm store, or refuse — running base
 * against base would report on nothing.
 */
function adapterFromDlmStore(spec: SwaySpec, sourceName: string): string | null {
  const ft = spec.models.ft;
  if (!spec.dlm_source || ft.kind !== 'hf' || ft.adapter) return null;
  let handle;
  try {
    handle = resolveDlm(spec.dlm_source);
  } catch (err) {
    throw new SpecValidationError(`models.ft has no adapter, and dlm_source could not be read to find one: ${isSwayError(err) ? err.message : String(err)}`, sourceName);
  }
  if (!handle.adapterPath) {
    const where = handle.dlmId ? `${dlmStoreRoot()}/${handle.dlmId}/adapter/current.txt` : `${handle.path} (its front matter has no dlm_id)`;
    throw new SpecValidationError(`models.ft has no adapter and none was found for dlm_source in the dlm store (looked at ${where}); train the document with dlm first, or set models.ft.adapter`, sourceName);
  }
  ft.adapter = handle.adapterPath;
  return handle.adapterPath;
}

export interface LoadOptions {
  /** Fill a missing ft adapter from the dlm store (default true; `sway pack` reads the spec as written). */
  adapterFromStore?: boolean;
}

export function loadSpecText(text: string, sourceName: string, specDir: string = process.cwd(), options: LoadOptions = {}): LoadedSpec {
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
  const notes: string[] = [];
  const suite = (raw as { suite?: unknown } | null)?.suite;
  if (Array.isArray(suite)) {
    const named = nameUnnamedEntries(suite.filter((e): e is Record<string, unknown> => e !== null && typeof e === 'object' && !Array.isArray(e)));
    if (named.length) notes.push(`${named.length} suite entr${named.length === 1 ? 'y has' : 'ies have'} no name; named after the kind: ${named.join(', ')}`);
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
  const fromStore = options.adapterFromStore === false ? null : adapterFromDlmStore(spec, sourceName);
  if (fromStore) notes.push(`models.ft.adapter not set; using the dlm store's current adapter ${fromStore}`);
  let probes: BuiltProbe[];
  try {
    probes = validateAllProbes(spec.suite);
  } catch (err) {
    throw new SpecValidationError((err as Error).message, sourceName);
  }
  return { spec, specPath: sourceName, specDir, probes, notes };
}

export function loadSpecFile(path: string, options: LoadOptions = {}): LoadedSpec {
  const abs = resolvePath(path, process.cwd());
  let text: string;
  try {
    const st = statSync(abs);
    if (st.isDirectory()) throw new SpecValidationError(`is a directory; pass the sway.yaml file inside it`, path);
    if (st.size > MAX_SPEC_BYTES) throw new SpecValidationError(`spec is larger than ${MAX_SPEC_BYTES / 1024 / 1024} MiB; is this the right file?`, path);
    text = decodeUtf8Strict(readFileSync(abs), path, (m) => new SpecValidationError(m.slice(path.length + 2), path));
  } catch (err) {
    if (err instanceof SpecValidationError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new SpecValidationError(code === 'ENOENT' ? `spec file not found: ${abs}` : `cannot read spec file: ${(err as Error).message}`, path);
  }
  return loadSpecText(text, path, dirname(abs), options);
}
