/**
 * A small ustar writer and a defensive reader. The reader returns only regular files and
 * directories with safe relative names; links, devices, absolute paths, `..` segments
 * and oversize members are refused by name, before anything is written anywhere.
 */

export interface TarEntry {
  name: string;
  /** '0' regular file, '5' directory; tests may write others to check refusals. */
  type?: string;
  data?: Uint8Array;
  mode?: number;
  mtime?: number;
  linkname?: string;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512, 0);
  let name = e.name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  h.write(name, 0, 100, 'utf8');
  h.write(octal(e.mode ?? 0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(Math.floor(e.mtime ?? Date.now() / 1000), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(e.type ?? '0', 156, 'ascii');
  if (e.linkname) h.write(e.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7), 148, 'ascii');
  return h;
}

export function writeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? new Uint8Array(0);
    parts.push(header(e, data.byteLength), Buffer.from(data));
    const pad = (512 - (data.byteLength % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export class TarError extends Error {}

function readString(b: Buffer, off: number, len: number): string {
  const raw = b.subarray(off, off + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? len : end).toString('utf8');
}

/** A relative path with no empty, `.` or `..` segments and no drive or root prefix. */
export function safeMemberName(name: string): string | null {
  const n = name.replace(/\/+$/, '');
  if (!n || n.startsWith('/') || n.startsWith('\\') || /^[A-Za-z]:/.test(n) || n.includes('\\') || n.includes('\0')) return null;
  const segs = n.split('/');
  if (segs.some((s) => s === '' || s === '.' || s === '..')) return null;
  return n;
}

export interface ReadLimits {
  maxMemberBytes: number;
  maxTotalBytes: number;
  maxMembers: number;
}

export function readTar(buf: Buffer, limits: ReadLimits): { name: string; type: 'file' | 'dir'; data: Buffer }[] {
  const out: { name: string; type: 'file' | 'dir'; data: Buffer }[] = [];
  let off = 0;
  let total = 0;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
    const stored = parseInt(readString(h, 148, 8).trim() || '0', 8);
    if (stored !== sum) throw new TarError(`corrupt tar header at byte ${off} (checksum mismatch)`);
    const prefix = readString(h, 345, 155);
    const rawName = prefix ? `${prefix}/${readString(h, 0, 100)}` : readString(h, 0, 100);
    const size = parseInt(readString(h, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(h[156] as number);
    if (!Number.isFinite(size) || size < 0) throw new TarError(`member '${rawName}' has an invalid size`);
    if (type === '1' || type === '2') throw new TarError(`member '${rawName}' is a ${type === '2' ? 'symbolic' : 'hard'} link; links are refused`);
    if (type !== '0' && type !== '\0' && type !== '5') throw new TarError(`member '${rawName}' has type '${type}' (device, fifo or extension); only files and directories are allowed`);
    const name = safeMemberName(rawName);
    if (!name) throw new TarError(`member '${rawName}' has an unsafe path (absolute or '..'); refusing to extract`);
    if (size > limits.maxMemberBytes) throw new TarError(`member '${rawName}' is ${size} bytes, over the ${limits.maxMemberBytes}-byte limit`);
    total += size;
    if (total > limits.maxTotalBytes) throw new TarError(`archive expands past ${limits.maxTotalBytes} bytes`);
    if (out.length >= limits.maxMembers) throw new TarError(`archive has more than ${limits.maxMembers} members`);
    const start = off + 512;
    if (start + size > buf.length) throw new TarError(`member '${rawName}' is truncated`);
    out.push({ name, type: type === '5' ? 'dir' : 'file', data: Buffer.from(buf.subarray(start, start + size)) });
    off = start + Math.ceil(size / 512) * 512;
  }
  return out;
}
