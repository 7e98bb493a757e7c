/**
 * .dlm document → front matter + typed sections. Follows the DocumentLanguageModel
 * layout: `---` front matter, a body split by `::instruction::` / `::preference::` /
 * `::prose::` fence lines (ignored inside ``` code blocks), Q/A and preference blocks.
 */
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { DlmCompatError } from '../../core/errors.js';
import type { Section, SectionKind, SectionPreference, SectionProbe } from '../../core/sections.js';

export interface DlmDocument {
  dlmId: string | null;
  baseModel: string | null;
  frontMatter: Record<string, unknown>;
  sections: Section[];
}

const FENCE = /^::(instruction|preference|prose)(?:#([A-Za-z0-9_.-]+))?::$/;

export function sectionId(kind: SectionKind, content: string): string {
  return createHash('sha256').update(`${kind}\n${content}`).digest('hex').slice(0, 16);
}

interface RawSection {
  kind: SectionKind;
  tag: string | null;
  lines: string[];
  startLine: number;
}

export function parseDlm(text: string, file: string): DlmDocument {
  const lines = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  if (lines[0]?.trim() !== '---') {
    throw new DlmCompatError(`${file}:1: a .dlm document must start with a '---' front-matter line — add front matter (dlm_id, base_model) between two '---' lines`);
  }
  const close = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
  if (close < 0) throw new DlmCompatError(`${file}: front matter is not closed — add a '---' line after the front-matter keys`);
  let front: unknown;
  try {
    front = parseYaml(lines.slice(1, close).join('\n')) ?? {};
  } catch (err) {
    throw new DlmCompatError(`${file}: front matter is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof front !== 'object' || front === null || Array.isArray(front)) {
    throw new DlmCompatError(`${file}: front matter must be a mapping of keys (dlm_id, base_model, ...)`);
  }
  const fm = front as Record<string, unknown>;
  const raws: RawSection[] = [];
  let cur: RawSection = { kind: 'prose', tag: null, lines: [], startLine: close + 2 };
  let inCode = false;
  for (let i = close + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trimStart().startsWith('```')) inCode = !inCode;
    const m = inCode ? null : FENCE.exec(line.trim());
    if (m) {
      raws.push(cur);
      cur = { kind: m[1] as SectionKind, tag: m[2] ?? null, lines: [], startLine: i + 2 };
      continue;
    }
    cur.lines.push(line);
  }
  raws.push(cur);
  const sections: Section[] = [];
  for (const r of raws) {
    const content = r.lines.join('\n').trim();
    if (r.kind === 'prose' && content === '') continue;
    const where = `${file}:${r.startLine - 1}`;
    const section: Section = { id: sectionId(r.kind, content), kind: r.kind, content, probes: [], preferences: [], tag: r.tag };
    if (r.kind === 'instruction') section.probes = parseInstructionBody(r.lines, where);
    if (r.kind === 'preference') section.preferences = parsePreferenceBody(r.lines, where);
    sections.push(section);
  }
  const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
  return { dlmId: str(fm.dlm_id), baseModel: str(fm.base_model), frontMatter: fm, sections };
}

/** Splits a body into `### <Header>` blocks: [{header, text}] (text trimmed). */
function blocks(lines: string[]): { header: string; text: string }[] {
  const out: { header: string; text: string; body: string[] }[] = [];
  for (const line of lines) {
    const h = /^###\s+(\S.*?)\s*$/.exec(line);
    if (h) out.push({ header: h[1]!.toLowerCase(), text: '', body: [] });
    else if (out.length) out[out.length - 1]!.body.push(line);
    else if (line.trim() !== '') out.push({ header: '', text: '', body: [line] });
  }
  return out.map((b) => ({ header: b.header, text: b.body.join('\n').trim() }));
}

export function parseInstructionBody(lines: string[], where: string): SectionProbe[] {
  const bs = blocks(lines);
  if (bs.length === 0) throw new DlmCompatError(`${where}: ::instruction:: section is empty — add '### Q' / '### A' pairs`);
  const out: SectionProbe[] = [];
  for (let i = 0; i < bs.length; i += 2) {
    const q = bs[i]!;
    const a = bs[i + 1];
    if (q.header !== 'q' || a?.header !== 'a') {
      throw new DlmCompatError(
        `${where}: ::instruction:: section must alternate '### Q' and '### A' blocks (found '${q.header ? `### ${q.header}` : 'text'}' where a pair was expected)`,
      );
    }
    if (q.text === '' || a.text === '') throw new DlmCompatError(`${where}: an empty '### Q' or '### A' block — write the question and its answer`);
    out.push({ prompt: q.text, gold: a.text });
  }
  return out;
}

export function parsePreferenceBody(lines: string[], where: string): SectionPreference[] {
  const bs = blocks(lines);
  if (bs.length === 0) throw new DlmCompatError(`${where}: ::preference:: section is empty — add '### Prompt' / '### Chosen' / '### Rejected' blocks`);
  const out: SectionPreference[] = [];
  for (let i = 0; i < bs.length; i += 3) {
    const [p, c, r] = [bs[i], bs[i + 1], bs[i + 2]];
    if (p?.header !== 'prompt' || c?.header !== 'chosen' || r?.header !== 'rejected') {
      throw new DlmCompatError(`${where}: ::preference:: blocks must come as '### Prompt', '### Chosen', '### Rejected' in that order`);
    }
    if (!p.text || !c.text || !r.text) throw new DlmCompatError(`${where}: an empty Prompt/Chosen/Rejected block — fill in all three`);
    out.push({ prompt: p.text, chosen: c.text, rejected: r.text });
  }
  return out;
}
