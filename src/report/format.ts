/**
 * Number formatters shared by every report surface. Rounding follows Python's format():
 * the exact binary value is rounded, and exact halves go to the even digit (Number.toFixed
 * rounds exact halves up, which differs on values such as 0.125).
 */
export const NO_VALUE = '\u2014';

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Correctly rounded fixed-point text of `x` with `digits` decimals (ties to even). */
export function toFixedPy(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1e21) return x.toFixed(digits);
  const plain = x.toFixed(digits);
  const long = Math.abs(x).toFixed(Math.min(100, digits + 60));
  const dot = long.indexOf('.');
  const tail = long.slice(dot + 1 + digits);
  if (/^50*$/.test(tail)) {
    // Exact half: toFixed rounded away from zero; pick the even neighbour instead.
    const truncated = long.slice(0, dot + 1 + digits).replace(/\.$/, '');
    const lastDigit = Number(truncated.replace('.', '').slice(-1));
    if (lastDigit % 2 === 0) return (x < 0 ? '-' : '') + truncated;
  }
  return plain;
}

/** Inserts thousands separators into the integer part of a plain decimal string. */
export function withThousands(text: string): string {
  const neg = text.startsWith('-');
  const body = neg ? text.slice(1) : text;
  const [int = '', frac] = body.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (neg ? '-' : '') + grouped + (frac !== undefined ? `.${frac}` : '');
}

export function formatScore(v: unknown): string {
  return isNum(v) ? toFixedPy(v, 2) : NO_VALUE;
}

export function formatRaw(v: unknown): string {
  return isNum(v) ? withThousands(toFixedPy(v, 3)) : NO_VALUE;
}

export function formatZ(v: unknown): string {
  if (!isNum(v)) return NO_VALUE;
  const t = withThousands(toFixedPy(v, 2));
  return `${t.startsWith('-') ? '' : '+'}${t}\u03c3`;
}

export function formatCi(ci: unknown): string {
  if (!Array.isArray(ci) || ci.length !== 2 || !isNum(ci[0]) || !isNum(ci[1])) return NO_VALUE;
  return `[${toFixedPy(ci[0], 3)}, ${toFixedPy(ci[1], 3)}]`;
}

export function formatDuration(v: unknown): string {
  if (!isNum(v)) return NO_VALUE;
  if (v < 10) return `${toFixedPy(v, 2)}s`;
  if (v < 100) return `${toFixedPy(v, 1)}s`;
  return `${withThousands(toFixedPy(v, 0))}s`;
}

/** Python `%g` of a rank multiplier (`1.00` → `1`, `0.50` → `0.5`). */
function pyG(x: number): string {
  const p = Number(x.toPrecision(6));
  return String(p);
}

/** `rank_1.00` → `1x`; unparseable keys verbatim. */
export function rankLabel(key: string): string {
  const m = /^rank_(-?\d+(?:\.\d+)?)$/.exec(key);
  return m && m[1] !== undefined ? `${pyG(Number(m[1]))}x` : key;
}

/** The message plus a rank profile when evidence.z_by_rank has at least two entries. */
export function decorateMessage(message: string, evidence: Record<string, unknown>): string {
  const zbr = evidence['z_by_rank'];
  if (!zbr || typeof zbr !== 'object' || Array.isArray(zbr)) return message;
  const entries = Object.entries(zbr as Record<string, unknown>);
  if (entries.length < 2) return message;
  const profile = entries
    .map(([k, z]) => {
      const zt = isNum(z) ? `${z >= 0 ? '+' : ''}${toFixedPy(z, 2)}\u03c3` : NO_VALUE;
      return `${zt} @ ${rankLabel(k)}`;
    })
    .join(' / ');
  return message ? `${message} | rank profile: ${profile}` : `rank profile: ${profile}`;
}

/** Short adapter label for terminal/markdown headers. */
export function adapterLabel(adapterId: string): string {
  if (adapterId === '') return '(base only)';
  const stripped = adapterId.replace(/\/+$/, '');
  const parts = stripped.split('/');
  const label = parts.length > 3 ? parts.slice(-3).join('/') : adapterId;
  return /\s/.test(label) ? `"${label}"` : label;
}
