/** `x.toFixed(digits)` without the sign of a value that rounds to zero (`-0.0000` reads as a change). */
export function fixed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  return /^-0(?:\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** Like `fixed`, with a `+` in front of positive values. */
export function signedFixed(x: number, digits: number): string {
  const s = fixed(x, digits);
  return s.startsWith('-') || /^0(?:\.0*)?$/.test(s) ? s : `+${s}`;
}
