/**
 * A small ustar writer and a defensive streaming reader. The reader is fed the archive in
 * chunks (as gunzip produces them) and hands on regular files and directories with safe
 * relative names, file data chunk by chunk; links, devices, absolute paths, `..`
 * segments and oversize members are refused by name at their header, before their data
 * is read. PAX extended headers (Python's tarfile default) and GNU long names are read
 * for the path and size they carry; other records in them are ignored.
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

/** Why `name` is unsafe, in words that match what is wrong with it. */
function unsafeReason(name: string): string {
  const n = name.replace(/\/+$/, '');
  if (!n) return 'an empty path';
  if (n.startsWith('/') || /^[A-Za-z]:/.test(n)) return 'an absolute path';
  if (n.includes('\\')) return 'a backslash in its path';
  if (n.includes('\0')) return 'a NUL byte in its path';
  const segs = n.split('/');
  if (segs.includes('..')) return "a '..' segment";
  return "an empty or '.' path segment";
}

export interface ReadLimits {
  maxMemberBytes: number;
  maxTotalBytes: number;
  maxMembers: number;
}

/** PAX / GNU long-name records are buffered whole; they are small in any honest archive. */
const MAX_META_BYTES = 64 * 1024;

export interface TarSink {
  /** A directory member (safe name, trailing slash removed). */
  dir(name: string): void;
  /** A file member starts; its data follows through `data`, then `end`. */
  file(name: string, size: number): void;
  data(chunk: Buffer): void;
  end(): void;
}

function parseOctal(field: Buffer, what: string): number {
  // GNU base-256 for big numbers: refuse, no honest swaypack needs it.
  if ((field[0] as number) & 0x80) throw new TarError(`${what} uses base-256 encoding (too large)`);
  const text = readString(field, 0, field.length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError(`${what} is not an octal number`);
  return parseInt(text, 8);
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp < 0) throw new TarError('corrupt PAX header record');
    const len = Number(data.toString('ascii', off, sp));
    if (!Number.isInteger(len) || len <= sp - off + 1 || off + len > data.length) throw new TarError('corrupt PAX header record length');
    const rec = data.toString('utf8', sp + 1, off + len - 1);
    const eq = rec.indexOf('=');
    if (eq < 0) throw new TarError('corrupt PAX header record');
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    off += len;
  }
  return out;
}

type State = 'header' | 'data' | 'meta' | 'pad' | 'done';

/**
 * Incremental tar reader. `push` chunks in order; `finish` at the end of input. The reader
 * holds at most one header block or one metadata record, never a file's data.
 */
export class TarReader {
  private state: State = 'header';
  private pending: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private pad = 0;
  private total = 0;
  private members = 0;
  private metaKind: 'pax' | 'gnu-name' | 'pax-global' = 'pax';
  private metaChunks: Buffer[] = [];
  private override: { path?: string; size?: number } = {};

  constructor(
    private readonly limits: ReadLimits,
    private readonly sink: TarSink,
  ) {}

  /** True once the end-of-archive marker was read; later input is ignored. */
  get done(): boolean {
    return this.state === 'done';
  }

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && this.state !== 'done') {
      if (this.state === 'header') {
        const need = 512 - this.pending.length;
        const take = chunk.subarray(off, off + need);
        off += take.length;
        this.pending = this.pending.length ? Buffer.concat([this.pending, take]) : Buffer.from(take);
        if (this.pending.length < 512) return;
        const h = this.pending;
        this.pending = Buffer.alloc(0);
        this.header(h);
      } else if (this.state === 'data' || this.state === 'meta') {
        const take = chunk.subarray(off, off + this.remaining);
        off += take.length;
        this.remaining -= take.length;
        if (this.state === 'data') this.sink.data(take);
        else this.metaChunks.push(Buffer.from(take));
        if (this.remaining === 0) {
          if (this.state === 'data') this.sink.end();
          else this.meta();
          this.state = this.pad ? 'pad' : 'header';
        }
      } else {
        const take = Math.min(this.pad, chunk.length - off);
        off += take;
        this.pad -= take;
        if (this.pad === 0) this.state = 'header';
      }
    }
  }

  /** End of input: fine after the end marker or between members (a missing marker is tolerated, as tarfile does). */
  finish(): void {
    if (this.state === 'done') return;
    if (this.state !== 'header' || this.pending.length > 0) throw new TarError('archive is truncated');
  }

  private header(h: Buffer): void {
    if (h.every((b) => b === 0)) {
      this.state = 'done';
      return;
    }
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
    let stored: number;
    try {
      stored = parseOctal(h.subarray(148, 156), 'header checksum');
    } catch {
      stored = -1;
    }
    if (stored !== sum) throw new TarError(`corrupt tar header (checksum mismatch) after ${this.members} member(s)`);
    const type = String.fromCharCode(h[156] as number);
    const prefix = h.subarray(257, 262).toString('ascii') === 'ustar' ? readString(h, 345, 155) : '';
    const headerName = prefix ? `${prefix}/${readString(h, 0, 100)}` : readString(h, 0, 100);
    const rawName = this.override.path ?? headerName;
    const size = this.override.size ?? parseOctal(h.subarray(124, 136), `size of member '${rawName}'`);
    if (!Number.isSafeInteger(size) || size < 0) throw new TarError(`member '${rawName}' has an invalid size`);
    if (type === 'x' || type === 'g' || type === 'L') {
      if (size > MAX_META_BYTES) throw new TarError(`${type === 'L' ? 'GNU long-name' : 'PAX'} header of ${size} bytes is over the ${MAX_META_BYTES}-byte limit`);
      this.metaKind = type === 'x' ? 'pax' : type === 'g' ? 'pax-global' : 'gnu-name';
      this.metaChunks = [];
      this.override = {};
      this.enter('meta', size);
      return;
    }
    this.override = {};
    this.members++;
    if (this.members > this.limits.maxMembers) throw new TarError(`archive has more than ${this.limits.maxMembers} members`);
    if (type === '1' || type === '2') throw new TarError(`member '${rawName}' is a ${type === '2' ? 'symbolic' : 'hard'} link; links are refused`);
    if (type !== '0' && type !== '\0' && type !== '5' && type !== '7') throw new TarError(`member '${rawName}' has type '${type}' (device, fifo or extension); only files and directories are allowed`);
    const name = safeMemberName(rawName);
    if (!name) throw new TarError(`member '${rawName}' has an unsafe path (${unsafeReason(rawName)}); refusing to extract`);
    if (type === '5') {
      this.sink.dir(name);
      this.enter('data-skip', size);
      return;
    }
    if (size > this.limits.maxMemberBytes) throw new TarError(`member '${rawName}' is ${size} bytes, over the ${this.limits.maxMemberBytes}-byte limit`);
    this.total += size;
    if (this.total > this.limits.maxTotalBytes) throw new TarError(`archive expands past ${this.limits.maxTotalBytes} bytes`);
    this.sink.file(name, size);
    if (size === 0) {
      this.sink.end();
      return;
    }
    this.enter('data', size);
  }

  private enter(state: 'data' | 'meta' | 'data-skip', size: number): void {
    this.pad = (512 - (size % 512)) % 512;
    if (state === 'data-skip') {
      // directory entries carry no data; treat any as padding to skip
      this.pad += size;
      this.state = this.pad ? 'pad' : 'header';
      return;
    }
    if (size === 0) {
      if (state === 'meta') this.meta();
      this.state = this.pad ? 'pad' : 'header';
      return;
    }
    this.remaining = size;
    this.state = state;
  }

  private meta(): void {
    const data = Buffer.concat(this.metaChunks);
    this.metaChunks = [];
    if (this.metaKind === 'gnu-name') {
      this.override = { path: readString(data, 0, data.length) };
      return;
    }
    const records = parsePax(data);
    if (this.metaKind === 'pax-global') return;
    const next: { path?: string; size?: number } = {};
    const path = records.get('path');
    if (path !== undefined) next.path = path;
    const size = records.get('size');
    if (size !== undefined) {
      if (!/^\d+$/.test(size)) throw new TarError(`PAX size '${size}' is not a number`);
      next.size = Number(size);
    }
    this.override = next;
  }
}
