/** Tiny SVG chart helpers for the HTML report (no dependencies, fully offline). */

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const r2 = (v: number): string => (Math.round(v * 100) / 100).toString();

export interface BarItem {
  label: string;
  value: number;
  color: string;
  tooltip: string;
}

/** Horizontal bars over [min, max] with optional shaded band and reference lines. */
export function hbarChart(
  id: string,
  items: BarItem[],
  opts: { min: number; max: number; band?: [number, number]; lines?: { at: number; label: string }[]; unit?: string },
): string {
  const rowH = 26;
  const left = 170;
  const width = 720;
  const plotW = width - left - 60;
  const height = items.length * rowH + 40;
  const x = (v: number): number => left + ((Math.min(Math.max(v, opts.min), opts.max) - opts.min) / (opts.max - opts.min || 1)) * plotW;
  let s = `<svg id="${id}" class="chart" role="img" viewBox="0 0 ${width} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">`;
  if (opts.band) {
    s += `<rect class="band" x="${r2(x(opts.band[0]))}" y="10" width="${r2(x(opts.band[1]) - x(opts.band[0]))}" height="${items.length * rowH}" fill="#e9ecef"><title>null band ${opts.band[0]}..${opts.band[1]}${opts.unit ?? ''}</title></rect>`;
  }
  const zero = x(Math.max(opts.min, Math.min(0, opts.max)));
  items.forEach((it, i) => {
    const y = 10 + i * rowH;
    const xv = x(it.value);
    const bx = Math.min(zero, xv);
    s += `<text x="${left - 8}" y="${y + 17}" text-anchor="end" font-size="12">${esc(it.label)}</text>`;
    s += `<rect class="bar" x="${r2(bx)}" y="${y + 5}" width="${r2(Math.max(1, Math.abs(xv - zero)))}" height="${rowH - 10}" fill="${it.color}"><title>${esc(it.tooltip)}</title></rect>`;
    s += `<text x="${r2(Math.max(xv, zero) + 4)}" y="${y + 17}" font-size="11" fill="#555">${esc(it.value.toFixed(2))}${opts.unit ?? ''}</text>`;
  });
  const axisY = 10 + items.length * rowH;
  s += `<line x1="${left}" y1="${axisY}" x2="${left + plotW}" y2="${axisY}" stroke="#888"/>`;
  for (const t of ticks(opts.min, opts.max)) {
    s += `<text x="${r2(x(t))}" y="${axisY + 16}" text-anchor="middle" font-size="10" fill="#666">${r2(t)}</text>`;
  }
  for (const l of opts.lines ?? []) {
    s += `<line class="ref" x1="${r2(x(l.at))}" y1="6" x2="${r2(x(l.at))}" y2="${axisY}" stroke="#dc3545" stroke-dasharray="4 3"/><text x="${r2(x(l.at) + 3)}" y="8" font-size="10" fill="#dc3545">${esc(l.label)}</text>`;
  }
  return `${s}</svg>`;
}

function ticks(min: number, max: number): number[] {
  const span = max - min || 1;
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((m) => span / m <= 6) ?? raw;
  const out: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + 1e-9; t += step) out.push(Number(t.toFixed(10)));
  return out;
}

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

/** Line chart with markers; optional dashed vertical marker. */
export function lineChart(
  id: string,
  series: Series[],
  opts: { xLabel: string; yLabel: string; vline?: { at: number; label: string }; hband?: [number, number] },
): string {
  const width = 720;
  const height = 300;
  const m = { l: 60, r: 20, t: 20, b: 45 };
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]).concat(opts.hband ?? []);
  let xmin = Math.min(...xs);
  let xmax = Math.max(...xs);
  let ymin = Math.min(0, ...ys);
  let ymax = Math.max(...ys);
  if (xmax === xmin) [xmin, xmax] = [xmin - 1, xmax + 1];
  if (ymax === ymin) ymax = ymin + 1;
  const pad = (ymax - ymin) * 0.08;
  ymin -= ymin < 0 ? pad : 0;
  ymax += pad;
  const X = (v: number): number => m.l + ((v - xmin) / (xmax - xmin)) * (width - m.l - m.r);
  const Y = (v: number): number => height - m.b - ((v - ymin) / (ymax - ymin)) * (height - m.t - m.b);
  let s = `<svg id="${id}" class="chart" role="img" viewBox="0 0 ${width} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">`;
  if (opts.hband) {
    s += `<rect class="band" x="${m.l}" y="${r2(Y(opts.hband[1]))}" width="${width - m.l - m.r}" height="${r2(Y(opts.hband[0]) - Y(opts.hband[1]))}" fill="#e9ecef"><title>null band</title></rect>`;
  }
  s += `<line x1="${m.l}" y1="${height - m.b}" x2="${width - m.r}" y2="${height - m.b}" stroke="#888"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${height - m.b}" stroke="#888"/>`;
  for (const t of ticks(xmin, xmax)) s += `<text x="${r2(X(t))}" y="${height - m.b + 16}" text-anchor="middle" font-size="10" fill="#666">${r2(t)}</text>`;
  for (const t of ticks(ymin, ymax)) s += `<text x="${m.l - 6}" y="${r2(Y(t) + 3)}" text-anchor="end" font-size="10" fill="#666">${r2(t)}</text>`;
  s += `<text x="${(width + m.l) / 2}" y="${height - 8}" text-anchor="middle" font-size="12">${esc(opts.xLabel)}</text>`;
  s += `<text x="14" y="${(height - m.b + m.t) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${(height - m.b + m.t) / 2})">${esc(opts.yLabel)}</text>`;
  for (const ser of series) {
    const pts = ser.points.map(([a, b]) => `${r2(X(a))},${r2(Y(b))}`).join(' ');
    s += `<polyline class="series" fill="none" stroke="${ser.color}" stroke-width="2" points="${pts}"><title>${esc(ser.name)}</title></polyline>`;
    for (const [a, b] of ser.points) {
      s += `<circle class="marker" cx="${r2(X(a))}" cy="${r2(Y(b))}" r="4" fill="${ser.color}"><title>${esc(`${ser.name}: (${r2(a)}, ${b.toFixed(4)})`)}</title></circle>`;
    }
  }
  if (opts.vline && Number.isFinite(opts.vline.at)) {
    const vx = X(opts.vline.at);
    const nearRight = vx > width - m.r - 90;
    s += `<line class="ref" x1="${r2(vx)}" y1="${m.t}" x2="${r2(vx)}" y2="${height - m.b}" stroke="#6c757d" stroke-dasharray="5 4"/><text x="${r2(nearRight ? vx - 4 : vx + 4)}" y="${m.t + 10}" text-anchor="${nearRight ? 'end' : 'start'}" font-size="11" fill="#6c757d">${esc(opts.vline.label)}</text>`;
  }
  return `${s}</svg>`;
}

/** Semicircle gauge 0..1. */
export function gauge(id: string, value: number, color: string, label: string): string {
  const cx = 160;
  const cy = 150;
  const r = 120;
  const pt = (v: number): string => {
    const a = Math.PI * (1 - Math.min(Math.max(v, 0), 1));
    return `${r2(cx + r * Math.cos(a))},${r2(cy - r * Math.sin(a))}`;
  };
  const arc = (a: number, b: number, c: string): string =>
    `<path d="M ${pt(a)} A ${r} ${r} 0 0 1 ${pt(b)}" stroke="${c}" stroke-width="22" fill="none"/>`;
  let s = `<svg id="${id}" class="chart" role="img" viewBox="0 0 320 190" width="320" xmlns="http://www.w3.org/2000/svg">`;
  s += arc(0, 0.3, '#f8d7da') + arc(0.3, 0.6, '#fff3cd') + arc(0.6, 0.85, '#d1e7dd') + arc(0.85, 1, '#e2e3ff');
  if (value > 0) s += `<path class="value" d="M ${pt(0)} A ${r} ${r} 0 0 1 ${pt(value)}" stroke="${color}" stroke-width="10" fill="none"/>`;
  s += `<text x="${cx}" y="${cy - 10}" text-anchor="middle" font-size="44" font-weight="bold">${esc(Number.isFinite(value) ? value.toFixed(2) : '\u2014')}</text>`;
  s += `<text x="${cx}" y="${cy + 28}" text-anchor="middle" font-size="16" font-weight="bold">${esc(label)}</text>`;
  return `${s}</svg>`;
}
