/**
 * Python-compatible number text for probe messages (sway.yaml users compare our messages
 * with the reference's): str(float) keeps a trailing ".0", format specs round half-even
 * on the exact binary value, %g drops trailing zeros.
 */

/** Python `format(x, '.Nf')`: exact binary value, ties to even. */
export function fixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Math.abs(x) >= 1e21) return x.toFixed(digits);
  const plain = x.toFixed(digits);
  const long = Math.abs(x).toFixed(Math.min(100, digits + 60));
  const dot = long.indexOf('.');
  const tail = long.slice(dot + 1 + digits);
  if (/^50*$/.test(tail)) {
    const truncated = long.slice(0, dot + 1 + digits).replace(/\.$/, '');
    const lastDigit = Number(truncated.replace('.', '').slice(-1));
    if (lastDigit % 2 === 0) return (x < 0 ? '-' : '') + truncated;
  }
  return plain === '-0' || /^-0\.0*$/.test(plain) ? plain : plain;
}

/** Python `format(x, '+.Nf')`. */
export function signedFixed(x: number, digits: number): string {
  const s = fixed(x, digits);
  return s.startsWith('-') ? s : `+${s}`;
}

/** Python `str(float)`: shortest round-trip repr with a `.0` on integral values. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  const s = String(x);
  // JS writes 1e-7 as "1e-7"; Python writes "1e-07".
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Python `'%g' % x` (6 significant digits, trailing zeros dropped). */
export function pyG(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(6)))));
  if (exp < -4 || exp >= 6) {
    const [mant, e] = x.toExponential(5).split('e') as [string, string];
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    const en = Number(e);
    return `${m}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  const s = x.toFixed(Math.max(0, 5 - exp));
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** Python `format(x, '.2%')`. */
export function percent(x: number, digits = 2): string {
  return `${fixed(x * 100, digits)}%`;
}

/** Python repr of a list of strings: `['a', 'b']`. */
export function pyStrList(items: readonly string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}
