/** Tiny inline-SVG chart builders for the HTML report (no external assets). */

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface Bar {
  label: string;
  value: number;
  color: string;
  title?: string;
  /** Value text at the bar's end (default: the value with two decimals). */
  text?: string;
}

/** Short, readable tick text: `-33.2`, `0.00412`, `1.2e+3`. */
export function tick(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}

/**
 * A label that fits `max` characters, with an ellipsis in the middle. Callers put the full
 * text in a <title> beside the <text> (inside one <g>), not inside it, so the text node
 * holds only what is drawn.
 */
export function fitLabel(s: string, max = 28): string {
  if (s.length <= max) return s;
  const head = Math.ceil((max - 1) / 2);
  return `${s.slice(0, head)}…${s.slice(s.length - (max - 1 - head))}`;
}

export interface Strip {
  label: string;
  /** Null samples (raw metric values). */
  values: readonly number[];
  /** The adapter's raw value. */
  marker: number;
  /** Text shown at the right end, e.g. "z=+3.10σ, tail 0/6". */
  note: string;
}

/**
 * One row per strip: the null samples as points on the metric's own axis, the adapter's
 * value as a red bar. Each row has its own scale (metrics differ in units), printed at its ends.
 */
export function dotStrips(id: string, strips: readonly Strip[]): string {
  const W = 640;
  const rowH = 34;
  const left = 190;
  const right = 150;
  const H = Math.max(1, strips.length) * rowH + 8;
  const parts = [`<svg id="${id}" class="chart" viewBox="0 0 ${W} ${H}" width="100%" role="img">`];
  strips.forEach((st, i) => {
    const y = i * rowH + 14;
    const all = [...st.values, st.marker].filter(Number.isFinite);
    let lo = Math.min(...all);
    let hi = Math.max(...all);
    if (!(hi > lo)) {
      lo -= 0.5 * (Math.abs(lo) || 1);
      hi += 0.5 * (Math.abs(hi) || 1);
    }
    const pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
    const x = (v: number) => left + ((v - lo) / (hi - lo)) * (W - left - right);
    parts.push(`<g><title>${esc(st.label)}</title><text x="${left - 8}" y="${y + 4}" text-anchor="end" font-size="12">${esc(fitLabel(st.label))}</text></g>`);
    parts.push(`<line x1="${left}" y1="${y}" x2="${W - right}" y2="${y}" stroke="#ccc"/>`);
    for (const v of st.values) parts.push(`<circle class="null-sample" cx="${x(v).toFixed(1)}" cy="${y}" r="4" fill="#6c757d" fill-opacity="0.6"><title>null sample ${tick(v)}</title></circle>`);
    if (Number.isFinite(st.marker)) parts.push(`<rect class="adapter-value" x="${(x(st.marker) - 1.5).toFixed(1)}" y="${y - 9}" width="3" height="18" fill="#dc3545"><title>adapter ${tick(st.marker)}</title></rect>`);
    parts.push(`<text x="${left}" y="${y + 17}" font-size="10" fill="#666">${esc(tick(lo + pad))}</text><text x="${W - right}" y="${y + 17}" font-size="10" fill="#666" text-anchor="end">${esc(tick(hi - pad))}</text>`);
    parts.push(`<text x="${W - right + 8}" y="${y + 4}" font-size="11">${esc(st.note)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Horizontal bars with an optional shaded band (e.g. the null region |z| < 2). */
export function hbars(id: string, bars: readonly Bar[], opts: { min: number; max: number; band?: [number, number]; unit?: string }): string {
  const W = 640;
  const rowH = 26;
  const left = 180;
  const H = Math.max(1, bars.length) * rowH + 30;
  const x = (v: number) => left + ((Math.max(opts.min, Math.min(opts.max, v)) - opts.min) / (opts.max - opts.min)) * (W - left - 70);
  const parts = [`<svg id="${id}" class="chart" viewBox="0 0 ${W} ${H}" width="100%" role="img">`];
  if (opts.band) parts.push(`<rect class="null-band" x="${x(opts.band[0])}" y="0" width="${x(opts.band[1]) - x(opts.band[0])}" height="${H - 24}" fill="#e9ecef"><title>null band</title></rect>`);
  parts.push(`<line x1="${x(Math.max(opts.min, 0))}" y1="0" x2="${x(Math.max(opts.min, 0))}" y2="${H - 24}" stroke="#555"/>`);
  bars.forEach((b, i) => {
    const y = i * rowH + 4;
    const x0 = x(Math.max(opts.min, 0));
    const x1 = x(b.value);
    parts.push(`<g><title>${esc(b.label)}</title><text x="${left - 8}" y="${y + 15}" text-anchor="end" font-size="12">${esc(fitLabel(b.label, 26))}</text></g>`);
    parts.push(`<rect class="bar" x="${Math.min(x0, x1)}" y="${y}" width="${Math.max(1, Math.abs(x1 - x0))}" height="${rowH - 8}" fill="${b.color}"><title>${esc(b.title ?? `${b.label}: ${b.value.toFixed(2)}${opts.unit ?? ''}`)}</title></rect>`);
    parts.push(`<text x="${Math.max(x0, x1) + 4}" y="${y + 15}" font-size="11">${esc(b.text ?? `${b.value.toFixed(2)}${opts.unit ?? ''}`)}</text>`);
  });
  parts.push(`<text x="${left}" y="${H - 8}" font-size="11">${tick(opts.min)}</text><text x="${W - 20}" y="${H - 8}" font-size="11" text-anchor="end">${tick(opts.max)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/** A line chart with markers; optional dashed vertical marker. */
export function lineChart(id: string, xs: readonly number[], ys: readonly number[], opts: { xLabel: string; yLabel: string; marker?: { x: number; label: string } }): string {
  const W = 640;
  const H = 300;
  const pad = { l: 60, r: 20, t: 20, b: 45 };
  const xmin = Math.min(...xs);
  const xmax = Math.max(...xs) === xmin ? xmin + 1 : Math.max(...xs);
  const ymax = Math.max(...ys, 1e-9);
  const px = (v: number) => pad.l + ((v - xmin) / (xmax - xmin)) * (W - pad.l - pad.r);
  const py = (v: number) => H - pad.b - (v / ymax) * (H - pad.t - pad.b);
  const pts = xs.map((x, i) => `${px(x).toFixed(1)},${py(ys[i] as number).toFixed(1)}`).join(' ');
  const parts = [`<svg id="${id}" class="chart" viewBox="0 0 ${W} ${H}" width="100%" role="img">`];
  parts.push(`<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="#555"/><line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}" stroke="#555"/>`);
  parts.push(`<polyline class="curve" points="${pts}" fill="none" stroke="#0d6efd" stroke-width="2"/>`);
  xs.forEach((x, i) => parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(ys[i] as number).toFixed(1)}" r="4" fill="#0d6efd"><title>λ=${x}: ${(ys[i] as number).toFixed(4)}</title></circle>`));
  xs.forEach((x) => parts.push(`<text x="${px(x).toFixed(1)}" y="${H - pad.b + 16}" font-size="11" text-anchor="middle">${x}</text>`));
  parts.push(`<text x="${pad.l - 6}" y="${pad.t + 4}" font-size="11" text-anchor="end">${ymax.toFixed(3)}</text><text x="${pad.l - 6}" y="${H - pad.b}" font-size="11" text-anchor="end">0</text>`);
  parts.push(`<text x="${(W + pad.l) / 2}" y="${H - 6}" font-size="12" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  parts.push(`<text x="14" y="${H / 2}" font-size="12" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">${esc(opts.yLabel)}</text>`);
  if (opts.marker) {
    const mx = px(opts.marker.x);
    parts.push(`<line x1="${mx}" y1="${pad.t}" x2="${mx}" y2="${H - pad.b}" stroke="#dc3545" stroke-dasharray="5,4"/><text x="${mx + 4}" y="${pad.t + 12}" font-size="11" fill="#dc3545">${esc(opts.marker.label)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}
