/**
 * Minimal ZIP reader for torch.save archives: reads the central directory (zip64 aware),
 * inflates stored/deflated entries and checks each entry's CRC-32. Never writes anything.
 */
import { inflateRawSync } from 'node:zlib';
import { SwayError } from '../../core/errors.js';

export class TrainingStateError extends SwayError {
  constructor(message: string) {
    super(message, 'SWAY_TRAINING_STATE', 2);
  }
}

export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

let crcTable: Uint32Array | null = null;
export function crc32(buf: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = crcTable[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export class ZipArchive {
  readonly entries: Map<string, ZipEntry>;
  private readonly buf: Buffer;
  private readonly path: string;

  constructor(buf: Buffer, path: string) {
    this.buf = buf;
    this.path = path;
    this.entries = readCentralDirectory(buf, path);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  read(name: string): Buffer {
    const e = this.entries.get(name);
    if (!e) throw this.fail(`archive has no entry '${name}'`);
    const b = this.buf;
    if (e.localOffset + 30 > b.length || b.readUInt32LE(e.localOffset) !== LOCAL_SIG) {
      throw this.fail(`local header of '${name}' is missing or damaged`);
    }
    const start = e.localOffset + 30 + b.readUInt16LE(e.localOffset + 26) + b.readUInt16LE(e.localOffset + 28);
    const end = start + e.compressedSize;
    if (end > b.length) throw this.fail(`entry '${name}' runs past the end of the file (truncated archive)`);
    const raw = b.subarray(start, end);
    let data: Buffer;
    if (e.method === 0) data = raw;
    else if (e.method === 8) {
      try {
        data = inflateRawSync(raw);
      } catch (err) {
        throw this.fail(`entry '${name}' does not inflate: ${(err as Error).message}`);
      }
    } else throw this.fail(`entry '${name}' uses unsupported compression method ${e.method}`);
    if (data.length !== e.size) throw this.fail(`entry '${name}' has ${data.length} bytes, expected ${e.size}`);
    if (crc32(data) !== e.crc32) throw this.fail(`entry '${name}' fails its CRC-32 check (corrupted file)`);
    return data;
  }

  private fail(msg: string): TrainingStateError {
    return new TrainingStateError(`${this.path}: ${msg}`);
  }
}

function readCentralDirectory(b: Buffer, path: string): Map<string, ZipEntry> {
  const fail = (msg: string): TrainingStateError =>
    new TrainingStateError(`${path}: ${msg} — the file is not a complete torch.save archive; re-save or re-train to regenerate it`);
  if (b.length < 22) throw fail('too short to be a ZIP archive');
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 0xffff); i--) {
    if (b.readUInt32LE(i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw fail('no ZIP end-of-central-directory record (truncated or not a ZIP)');
  let count = b.readUInt16LE(eocd + 10);
  let cdSize = b.readUInt32LE(eocd + 12);
  let cdOffset = b.readUInt32LE(eocd + 16);
  if (eocd >= 20 && b.readUInt32LE(eocd - 20) === ZIP64_LOCATOR_SIG) {
    const z64 = Number(b.readBigUInt64LE(eocd - 20 + 8));
    if (z64 + 56 > b.length || b.readUInt32LE(z64) !== ZIP64_EOCD_SIG) throw fail('damaged zip64 end record');
    count = Number(b.readBigUInt64LE(z64 + 32));
    cdSize = Number(b.readBigUInt64LE(z64 + 40));
    cdOffset = Number(b.readBigUInt64LE(z64 + 48));
  }
  if (cdOffset + cdSize > b.length) throw fail('central directory lies past the end of the file');
  const entries = new Map<string, ZipEntry>();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > b.length || b.readUInt32LE(p) !== CENTRAL_SIG) throw fail(`central directory entry ${i} is damaged`);
    const method = b.readUInt16LE(p + 10);
    const crc = b.readUInt32LE(p + 16);
    let csize = b.readUInt32LE(p + 20);
    let usize = b.readUInt32LE(p + 24);
    const nameLen = b.readUInt16LE(p + 28);
    const extraLen = b.readUInt16LE(p + 30);
    const commentLen = b.readUInt16LE(p + 32);
    let local = b.readUInt32LE(p + 42);
    const name = b.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    // zip64 extra field: only the fields whose 32-bit slot is 0xFFFFFFFF are present, in order.
    let q = p + 46 + nameLen;
    const extraEnd = q + extraLen;
    while (q + 4 <= extraEnd) {
      const id = b.readUInt16LE(q);
      const len = b.readUInt16LE(q + 2);
      if (id === 0x0001) {
        let r = q + 4;
        if (usize === 0xffffffff) {
          usize = Number(b.readBigUInt64LE(r));
          r += 8;
        }
        if (csize === 0xffffffff) {
          csize = Number(b.readBigUInt64LE(r));
          r += 8;
        }
        if (local === 0xffffffff) local = Number(b.readBigUInt64LE(r));
      }
      q += 4 + len;
    }
    entries.set(name, { name, method, crc32: crc, compressedSize: csize, size: usize, localOffset: local });
    p = extraEnd + commentLen;
  }
  return entries;
}
