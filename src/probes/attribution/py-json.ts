/**
 * A small JSON reader with Python's json semantics that matter to tool_use_fidelity:
 * NaN/Infinity literals are accepted, and the JSON-pointer path of every number written
 * as a float literal (`5.0`, `1e3`) is recorded so an `integer` field can refuse it.
 */

export interface PyJson {
  value: unknown;
  floatPaths: Set<string>;
}

class Reader {
  i = 0;
  readonly floats = new Set<string>();
  constructor(readonly s: string) {}

  fail(): never {
    throw new SyntaxError(`invalid JSON at ${this.i}`);
  }
  ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i]!)) this.i++;
  }
  value(path: string): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object(path);
    if (c === '[') return this.array(path);
    if (c === '"') return this.string();
    for (const [lit, v] of [['true', true], ['false', false], ['null', null], ['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]] as const) {
      if (this.s.startsWith(lit, this.i)) {
        this.i += lit.length;
        if (typeof v === 'number') this.floats.add(path);
        return v;
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(this.s.slice(this.i));
    if (!m) this.fail();
    this.i += m[0].length;
    if (m[2] !== undefined || m[3] !== undefined) this.floats.add(path);
    return Number(m[0]);
  }
  string(): string {
    // JSON forbids raw control characters inside strings.
    // eslint-disable-next-line no-control-regex
    const m = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(this.s.slice(this.i));
    if (!m) this.fail();
    this.i += m[0].length;
    return JSON.parse(m[0]) as string;
  }
  object(path: string): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.s[this.i] === '}') return (this.i++, out);
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail();
      const key = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') this.fail();
      out[key] = this.value(`${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') this.fail();
    }
  }
  array(path: string): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') return (this.i++, out);
    for (;;) {
      out.push(this.value(`${path}/${out.length}`));
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.fail();
    }
  }
}

/** Parses a whole JSON document; null when it is not valid JSON. */
export function parsePyJson(text: string): PyJson | null {
  const r = new Reader(text);
  try {
    const value = r.value('');
    r.ws();
    if (r.i !== text.length) return null;
    return { value, floatPaths: r.floats };
  } catch {
    return null;
  }
}
