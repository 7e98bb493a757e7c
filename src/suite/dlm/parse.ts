/**
 * The .dlm document format (DocumentLanguageModel): YAML front matter between `---`
 * lines, then a body split into sections by fence lines `::prose::`, `::instruction::`,
 * `::preference::` (optionally `::instruction#tag::`; fences inside ``` code blocks do
 * not count). Instruction bodies hold `### Q` / `### A` pairs, preference bodies
 * `### Prompt` / `### Chosen` / `### Rejected` triples.
 */
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { SwayError } from '../../core/errors.js';
import type { Section, SectionKind, SectionPreference, SectionProbe } from '../../core/sections.js';

export interface DlmDocument {
  frontMatter: Record<string, unknown>;
  sections: Section[];
}

function fail(path: string, line: number, msg: string): SwayError {
  return new SwayError(`${path}:${line}: ${msg}`, 'SWAY_DLM', 2);
}

export function sectionId(kind: SectionKind, content: string): string {
  return createHash('sha256').update(`${kind}\n${content.trim()}`).digest('hex').slice(0, 16);
}

/** `### Header` blocks in order; text lines accumulate under the current header. */
function blocks(body: string): { header: string; text: string }[] {
  const out: { header: string; text: string[] }[] = [];
  for (const line of body.split('\n')) {
    const m = /^###\s+(.+?)\s*$/.exec(line);
    if (m) out.push({ header: (m[1] as string).toLowerCase(), text: [] });
    else if (out.length) out[out.length - 1]!.text.push(line);
  }
  return out.map((b) => ({ header: b.header, text: b.text.join('\n').trim() }));
}

export function parseInstructionBody(body: string, where: string): SectionProbe[] {
  const probes: SectionProbe[] = [];
  let q: string | null = null;
  for (const b of blocks(body)) {
    if (b.header === 'q') q = b.text;
    else if (b.header === 'a') {
      if (q === null) throw new SwayError(`${where}: '### A' without a preceding '### Q'`, 'SWAY_DLM', 2);
      if (q && b.text) probes.push({ prompt: q, gold: b.text });
      q = null;
    }
  }
  return probes;
}

export function parsePreferenceBody(body: string): SectionPreference[] {
  const out: SectionPreference[] = [];
  let cur: Partial<SectionPreference> = {};
  for (const b of blocks(body)) {
    if (b.header === 'prompt') cur = { prompt: b.text };
    else if (b.header === 'chosen') cur.chosen = b.text;
    else if (b.header === 'rejected') {
      cur.rejected = b.text;
      if (cur.prompt && cur.chosen && cur.rejected) out.push(cur as SectionPreference);
      cur = {};
    }
  }
  return out;
}

export function parseDlm(text: string, path: string): DlmDocument {
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  const lines = src.split('\n');
  if (lines[0] !== '---') throw fail(path, 1, "a .dlm document starts with a '---' line and YAML front matter");
  const end = lines.indexOf('---', 1);
  if (end < 0) throw fail(path, 1, "front matter is not closed by a '---' line");
  let frontMatter: Record<string, unknown>;
  try {
    const fm = parseYaml(lines.slice(1, end).join('\n')) as unknown;
    frontMatter = fm && typeof fm === 'object' && !Array.isArray(fm) ? (fm as Record<string, unknown>) : {};
  } catch (err) {
    throw fail(path, 2, `front matter is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const sections: Section[] = [];
  let kind: SectionKind = 'prose';
  let tag: string | null = null;
  let buf: string[] = [];
  let startLine = end + 2;
  let inCode = false;
  const flush = () => {
    const content = buf.join('\n').trim();
    buf = [];
    if (!content) {
      if (kind !== 'prose') throw fail(path, startLine, `empty ::${kind}:: section`);
      return;
    }
    const where = `${path}:${startLine}`;
    sections.push({
      id: sectionId(kind, content),
      kind,
      content,
      probes: kind === 'instruction' ? parseInstructionBody(content, where) : [],
      preferences: kind === 'preference' ? parsePreferenceBody(content) : [],
      tag,
    });
  };
  for (let i = end + 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^\s*```/.test(line)) inCode = !inCode;
    const fence = inCode ? null : /^::(prose|instruction|preference)(?:#([\w.-]+))?::\s*$/.exec(line);
    if (fence) {
      flush();
      kind = fence[1] as SectionKind;
      tag = fence[2] ?? null;
      startLine = i + 2;
      continue;
    }
    buf.push(line);
  }
  flush();
  return { frontMatter, sections };
}
