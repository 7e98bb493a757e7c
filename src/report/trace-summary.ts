/** `sway trace`: a forward-pass trace (JSONL of core/trace events) summarised per probe and view. */
import { SwayError } from '../core/errors.js';
import type { TraceEvent } from '../core/trace.js';

const OPS = new Set(['forward', 'generate', 'cache']);

/** Parses trace JSONL; a malformed line is one error naming the file and the line. */
export function parseTrace(text: string, source: string): TraceEvent[] {
  const out: TraceEvent[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let e: Partial<TraceEvent>;
    try {
      e = JSON.parse(line) as Partial<TraceEvent>;
    } catch {
      throw new SwayError(`${source}: line ${i + 1} is not JSON; pass a file written by \`sway run --trace\``, 'SWAY_INPUT', 2);
    }
    const ok = e && typeof e === 'object' && OPS.has(e.op as string) && typeof e.view === 'string' && [e.rows, e.tokens, e.ms].every((n) => typeof n === 'number' && Number.isFinite(n)) && typeof e.cache_hit === 'boolean' && (e.probe === null || typeof e.probe === 'string') && (e.rss_mb === undefined || (typeof e.rss_mb === 'number' && Number.isFinite(e.rss_mb)));
    if (!ok) throw new SwayError(`${source}: line ${i + 1} is not a trace event (needs probe, op, view, rows, tokens, ms, cache_hit); pass a file written by \`sway run --trace\``, 'SWAY_INPUT', 2);
    out.push(e as TraceEvent);
  });
  return out;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((v, c) => (c === 0 || c === 1 || c === 2 ? v.padEnd(widths[c] as number) : v.padStart(widths[c] as number))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** Totals per (probe, view) in run order, then the slowest events. */
export function summariseTrace(events: readonly TraceEvent[], slowest = 10): string {
  if (!events.length) return 'trace is empty: no forward passes were recorded\n';
  const groups = new Map<string, { probe: string; view: string; forwards: number; generations: number; rows: number; tokens: number; ms: number; hits: number; rss: number | null }>();
  for (const e of events) {
    const probe = e.probe ?? '(outside probes)';
    const key = `${probe}\u0000${e.view}`;
    const g = groups.get(key) ?? { probe, view: e.view, forwards: 0, generations: 0, rows: 0, tokens: 0, ms: 0, hits: 0, rss: null };
    if (e.rss_mb !== undefined) g.rss = Math.max(g.rss ?? 0, e.rss_mb);
    if (e.op === 'forward') g.forwards++;
    if (e.op === 'generate') g.generations++;
    if (e.cache_hit) g.hits += e.rows;
    else g.rows += e.rows;
    g.tokens += e.tokens;
    g.ms += e.ms;
    groups.set(key, g);
  }
  const total = events.reduce((s, e) => s + e.ms, 0);
  const perGroup = table(
    ['probe', 'view', 'forwards', 'generations', 'rows', 'tokens', 'cache hits', 'ms', 'share', 'max RSS MB'],
    [...groups.values()].map((g) => [g.probe, g.view, String(g.forwards), String(g.generations), String(g.rows), String(g.tokens), String(g.hits), g.ms.toFixed(0), `${((100 * g.ms) / Math.max(total, 1e-9)).toFixed(1)}%`, g.rss === null ? '—' : String(g.rss)]),
  );
  const withRss = events.filter((e) => e.rss_mb !== undefined);
  const top = withRss.reduce<TraceEvent | null>((m, e) => (m === null || (e.rss_mb as number) > (m.rss_mb as number) ? e : m), null);
  const peak = top ? `; largest RSS after an event ${top.rss_mb} MB (${top.probe ?? '(outside probes)'}, ${top.view}, ${top.op} of ${top.rows} rows × ${top.tokens} tokens)` : '';
  const slow = [...events].sort((a, b) => b.ms - a.ms).slice(0, slowest);
  const slowTable = table(
    ['probe', 'view', 'op', 'rows', 'tokens', 'ms'],
    slow.map((e) => [e.probe ?? '(outside probes)', e.view, e.op, String(e.rows), String(e.tokens), e.ms.toFixed(1)]),
  );
  return `${events.length} events, ${total.toFixed(0)} ms in the model${peak}\n\n${perGroup}\n\nslowest ${slow.length}:\n${slowTable}\n`;
}
