/**
 * Reads sway.yaml: YAML (1.1 semantics, like the reference's PyYAML) → zod validation
 * → version check → paths resolved against the spec's directory. Every failure is one
 * SpecValidationError naming the file, the key (with line:col) and the fix.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { SpecValidationError } from '../core/errors.js';
import { specSchema, type ZodIssueLike } from './deps.js';
import type { LoadedSpec, SwaySpecValue } from './spec-types.js';

export const SUPPORTED_VERSION = 1;
/** Specs are small; anything larger is almost certainly the wrong file. */
export const MAX_SPEC_BYTES = 4 * 1024 * 1024;
const MAX_ALIASES = 200;

const BOOL_TAG = 'tag:yaml.org,2002:bool';

/**
 * YAML 1.1 booleans exactly as PyYAML resolves them: yes/no/on/off/true/false in three
 * casings, but not the single letters y/n (a prompt list `[x, y]` stays two strings).
 */
const pyYamlBools = [
  { tag: BOOL_TAG, default: true, test: /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/, resolve: () => true, identify: (v: unknown) => v === true },
  { tag: BOOL_TAG, default: true, test: /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/, resolve: () => false, identify: (v: unknown) => v === false },
];

function pyYamlTags<T extends { tag: string }>(tags: T[]): T[] {
  return [...pyYamlBools, ...tags.filter((t) => t.tag !== BOOL_TAG)] as T[];
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? homedir() + p.slice(1) : p;
}

function resolveAgainst(dir: string, p: string): string {
  const e = expandHome(p);
  return isAbsolute(e) ? e : resolve(dir, e);
}

function position(doc: Document, lc: LineCounter, path: PropertyKey[]): string {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as (string | number)[], true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) {
      const { line, col } = lc.linePos(range[0]);
      return ` (line ${line}, col ${col})`;
    }
  }
  return '';
}

function pathText(path: PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '<root>';
}

/** Position of the key itself (not its value) inside the mapping at `path`. */
function keyPosition(doc: Document, lc: LineCounter, path: PropertyKey[], key: string): string {
  const parent = path.length ? doc.getIn(path as (string | number)[], true) : doc.contents;
  if (isMap(parent)) {
    const pair = parent.items.find((it) => (it.key as { value?: unknown } | null)?.value === key);
    const range = (pair?.key as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) {
      const { line, col } = lc.linePos(range[0]);
      return ` (line ${line}, col ${col})`;
    }
  }
  return position(doc, lc, [...path, key]);
}

function issueLine(doc: Document, lc: LineCounter, issue: ZodIssueLike): string {
  const keys = issue.code === 'unrecognized_keys' && issue.keys ? issue.keys : null;
  if (keys && keys.length) {
    const k = keys[0] as string;
    return `  - ${pathText([...issue.path, k])}${keyPosition(doc, lc, issue.path, k)}: ${issue.message}`;
  }
  const last = issue.path.at(-1);
  if (/received undefined/.test(issue.message) && typeof last === 'string') {
    const parentPath = issue.path.slice(0, -1);
    return `  - ${pathText(issue.path)}${position(doc, lc, parentPath)}: missing required key '${last}'`;
  }
  return `  - ${pathText(issue.path)}${position(doc, lc, issue.path)}: ${issue.message}`;
}

/** Parses and validates spec text. `sourceName` names the file in errors; `specDir` anchors relative paths. */
export async function loadSpecText(text: string, sourceName: string, specDir = process.cwd()): Promise<LoadedSpec> {
  if (Buffer.byteLength(text, 'utf8') > MAX_SPEC_BYTES) {
    throw new SpecValidationError(
      `spec is larger than ${MAX_SPEC_BYTES / 1024 / 1024} MiB — sway.yaml files are small; check that this is the right file`,
      sourceName,
    );
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lc,
    version: '1.1',
    prettyErrors: false,
    uniqueKeys: true,
    customTags: (tags) => pyYamlTags(tags as { tag: string }[]) as typeof tags,
  });
  const firstError = doc.errors[0];
  if (firstError) {
    const pos = firstError.linePos?.[0] ?? lc.linePos(firstError.pos[0]);
    const where = pos ? ` (line ${pos.line}, col ${pos.col})` : '';
    let msg = firstError.message.split('\n')[0] ?? firstError.message;
    if (/multiple documents/i.test(msg)) msg = "the file holds several YAML documents; a sway.yaml is one document (remove the extra '---')";
    throw new SpecValidationError(`invalid YAML${where}: ${msg} — fix the YAML syntax`, sourceName);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    throw new SpecValidationError(
      `invalid YAML: ${(err as Error).message} — anchors/aliases may expand to at most ${MAX_ALIASES} nodes`,
      sourceName,
    );
  }
  if (!isMap(doc.contents) || data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new SpecValidationError(
      'top-level document must be a mapping (with models:, defaults: and suite: keys)',
      sourceName,
    );
  }
  const schema = await specSchema();
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const lines = issues.map((i) => issueLine(doc, lc, i));
    throw new SpecValidationError(
      `${issues.length} validation error${issues.length === 1 ? '' : 's'} for SwaySpec\n${lines.join('\n')}`,
      sourceName,
    );
  }
  const spec = parsed.data as SwaySpecValue;
  if (spec.version !== SUPPORTED_VERSION) {
    throw new SpecValidationError(
      `unsupported sway spec version: ${String(spec.version)} (this build supports ${SUPPORTED_VERSION}) — set version: 1`,
      sourceName,
    );
  }
  if (!Array.isArray(spec.suite)) {
    throw new SpecValidationError('suite must be a list of probe entries', sourceName);
  }
  const models = {
    base: { ...spec.models.base },
    ft: { ...spec.models.ft },
  };
  for (const m of [models.base, models.ft]) {
    if (typeof m.adapter === 'string' && m.adapter !== '') m.adapter = resolveAgainst(specDir, m.adapter);
    // A local model directory written relative to the spec resolves against it too; hub ids are kept.
    if (typeof m.base === 'string' && (m.base.startsWith('./') || m.base.startsWith('../') || m.base.startsWith('~'))) {
      m.base = resolveAgainst(specDir, m.base);
    }
  }
  const dlm = typeof spec.dlm_source === 'string' && spec.dlm_source !== '' ? resolveAgainst(specDir, spec.dlm_source) : null;
  const seqOk = isSeq(doc.get('suite', true)) || doc.get('suite') === undefined || doc.get('suite') === null;
  if (!seqOk) throw new SpecValidationError('suite must be a list of probe entries', sourceName);
  return { ...spec, models, dlm_source: dlm, specDir, source: sourceName };
}

/** Reads and validates a sway.yaml file. */
export async function loadSpecFile(path: string): Promise<LoadedSpec> {
  const abs = resolve(expandHome(path));
  let text: string;
  try {
    const st = statSync(abs);
    if (st.isDirectory()) {
      throw new SpecValidationError(`spec path is a directory: ${abs} — pass the sway.yaml file inside it`, path);
    }
    if (st.size > MAX_SPEC_BYTES) {
      throw new SpecValidationError(
        `spec file is ${st.size} bytes (limit ${MAX_SPEC_BYTES}) — sway.yaml files are small; check that this is the right file`,
        path,
      );
    }
    const bytes = readFileSync(abs);
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    if (err instanceof SpecValidationError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SpecValidationError(`spec file not found: ${abs}`, path);
    if (code === 'EACCES') throw new SpecValidationError(`spec file is not readable (permission denied): ${abs}`, path);
    if (err instanceof TypeError) throw new SpecValidationError('spec file is not valid UTF-8 text — save it as UTF-8', path);
    throw new SpecValidationError(`cannot read spec file ${abs}: ${(err as Error).message}`, path);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return loadSpecText(text, path, dirname(abs));
}
