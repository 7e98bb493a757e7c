/**
 * The spec as it goes into a pack: paths that were relative to the spec's folder would
 * point nowhere once unpacked, so local model and adapter directories (and the pre-run
 * probes' `adapter_path` / `store_path`) become absolute, and `dlm_source` points at the
 * packed copy. Only those scalars are replaced in the text (as JSON strings, which YAML
 * reads as double-quoted scalars); everything else, comments and layout included, stays
 * byte for byte as the user wrote it.
 */
import { isAbsolute, resolve } from 'node:path';
import { homedir } from 'node:os';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import type { SwaySpec } from '../../core/schema.js';

const PROBE_PATH_KEYS = ['adapter_path', 'store_path'] as const;

function absolute(p: string, dir: string): string {
  if (p.startsWith('~/')) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(dir, p);
}

/**
 * `spec` is the loaded spec (model paths already resolved against `specDir`); `packedDlm`
 * is the name of the packed .dlm beside the spec, or null when it was not packed.
 */
export function portableSpecText(text: string, spec: SwaySpec, specDir: string, packedDlm: string | null): string {
  const doc = parseDocument(text);
  const edits: { from: number; to: number; value: string }[] = [];
  const replace = (node: unknown, value: string) => {
    if (!isScalar(node) || typeof node.value !== 'string' || node.value === value || !node.range) return;
    edits.push({ from: node.range[0], to: node.range[1], value: JSON.stringify(value) });
  };
  for (const side of ['base', 'ft'] as const) {
    const m = spec.models[side];
    if (m.kind === 'hf' && isAbsolute(m.base)) replace(doc.getIn(['models', side, 'base'], true), m.base);
    if (m.adapter) replace(doc.getIn(['models', side, 'adapter'], true), m.adapter);
  }
  const dlm = packedDlm ?? spec.dlm_source;
  if (dlm) replace(doc.get('dlm_source', true), dlm);
  const suite = doc.get('suite');
  if (isSeq(suite)) {
    for (const entry of suite.items as Node[]) {
      if (!isMap(entry)) continue;
      for (const key of PROBE_PATH_KEYS) {
        const v = entry.get(key, true);
        if (isScalar(v) && typeof v.value === 'string') replace(v, absolute(v.value, specDir));
      }
    }
  }
  let out = text;
  for (const e of edits.sort((a, b) => b.from - a.from)) out = out.slice(0, e.from) + e.value + out.slice(e.to);
  return out;
}
