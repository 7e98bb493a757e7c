/**
 * A small ustar writer and a defensive reader (regular files and directories only).
 * The reader returns entries; callers decide what to extract. Gzip via node:zlib.
 */
export interface TarEntry {
  name: string;
  /** '0' file, '5' directory, anything else (links, devices, pax headers) is reported as-is. */
  type: string;
  size: number;
  mode: number;
  mtime: number;
  linkname: string;
  data: Uint8Array;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, size: number, type: '0' | '5', mtime: number, mode: number): Uint8Array {
  const h = new Uint8Array(512);
  let nameBytes = enc.encode(name);
  let prefix = new Uint8Array(0);
  if (nameBytes.length > 100) {
    const cut = name.lastIndexOf('/', 154);
    if (cut <= 0) throw new Error(`path too long for ustar: ${name}`);
    prefix = enc.encode(name.slice(0, cut));
    nameBytes = enc.encode(name.slice(cut + 1));
    if (nameBytes.length > 100 || prefix.length > 155) throw new Error(`path too long for ustar: ${name}`);
  }
  h.set(nameBytes, 0);
  h.set(enc.encode(octal(mode, 8)), 100);
  h.set(enc.encode(octal(0, 8)), 108);
  h.set(enc.encode(octal(0, 8)), 116);
  h.set(enc.encode(octal(size, 12)), 124);
  h.set(enc.encode(octal(Math.floor(mtime), 12)), 136);
  h.set(enc.encode('        '), 148);
  h[156] = type.charCodeAt(0);
  h.set(enc.encode('ustar\0'), 257);
  h.set(enc.encode('00'), 263);
  h.set(prefix, 345);
  let sum = 0;
  for (const b of h) sum += b;
  h.set(enc.encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
  return h;
}

export function writeTar(files: { name: string; data: Uint8Array; mtime?: number }[], dirs: string[] = []): Uint8Array {
  const parts: Uint8Array[] = [];
  const now = Date.now() / 1000;
  for (const d of dirs) parts.push(header(d.endsWith('/') ? d : `${d}/`, 0, '5', now, 0o755));
  for (const f of files) {
    parts.push(header(f.name, f.data.length, '0', f.mtime ?? now, 0o644));
    parts.push(f.data);
    const padLen = (512 - (f.data.length % 512)) % 512;
    if (padLen) parts.push(new Uint8Array(padLen));
  }
  parts.push(new Uint8Array(1024));
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function str(b: Uint8Array, off: number, len: number): string {
  const slice = b.subarray(off, off + len);
  const end = slice.indexOf(0);
  return dec.decode(end < 0 ? slice : slice.subarray(0, end));
}

function num(b: Uint8Array, off: number, len: number): number {
  const t = str(b, off, len).trim();
  if (t === '') return 0;
  if (!/^[0-7]+$/.test(t)) throw new Error(`corrupt tar header field '${t}'`);
  return parseInt(t, 8);
}

/** Parses a tar archive; `maxEntryBytes` bounds every member (oversize → error). */
export function readTar(buf: Uint8Array, maxEntryBytes: number): TarEntry[] {
  const out: TarEntry[] = [];
  let off = 0;
  let longName: string | null = null;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
    if (sum !== num(h, 148, 8)) throw new Error(`bad tar header checksum at offset ${off}`);
    const size = num(h, 124, 12);
    if (size > maxEntryBytes) throw new Error(`member of ${size} bytes exceeds the ${maxEntryBytes}-byte limit`);
    const type = String.fromCharCode(h[156] || 48);
    const prefix = str(h, 345, 155);
    let name = prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100);
    const dataStart = off + 512;
    if (dataStart + size > buf.length) throw new Error('truncated tar archive');
    const data = buf.slice(dataStart, dataStart + size);
    off = dataStart + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = str(data, 0, data.length);
      continue;
    }
    if (longName !== null) {
      name = longName;
      longName = null;
    }
    out.push({ name, type, size, mode: num(h, 100, 8), mtime: num(h, 136, 12), linkname: str(h, 157, 100), data });
  }
  return out;
}
