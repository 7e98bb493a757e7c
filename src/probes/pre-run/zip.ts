/**
 * A minimal ZIP reader (central directory; stored and deflated entries) for torch.save
 * files. An entry never inflates past the size its central directory declares, so a
 * deflate bomb costs at most what the caller agreed to read (it checks `size` first).
 */
import { inflateRawSync } from 'node:zlib';

export class ZipError extends Error {}

export interface ZipEntry {
  name: string;
  /** Uncompressed size as declared by the central directory. */
  size: number;
  read(): Buffer;
}

export function readZip(buf: Buffer): Map<string, ZipEntry> {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError('not a zip archive (no end-of-central-directory record; truncated or a legacy torch file)');
  let count = buf.readUInt16LE(eocd + 10);
  let cdSize = buf.readUInt32LE(eocd + 12);
  let cdOffset = buf.readUInt32LE(eocd + 16);
  if (cdOffset === 0xffffffff || count === 0xffff) {
    const loc = eocd - 20;
    if (loc < 0 || buf.readUInt32LE(loc) !== 0x07064b50) throw new ZipError('zip64 locator missing');
    const z64 = Number(buf.readBigUInt64LE(loc + 8));
    if (buf.readUInt32LE(z64) !== 0x06064b50) throw new ZipError('zip64 end record missing');
    count = Number(buf.readBigUInt64LE(z64 + 32));
    cdSize = Number(buf.readBigUInt64LE(z64 + 40));
    cdOffset = Number(buf.readBigUInt64LE(z64 + 48));
  }
  if (cdOffset + cdSize > buf.length) throw new ZipError('central directory lies past the end of the file (truncated)');
  const out = new Map<string, ZipEntry>();
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw new ZipError('corrupt central directory');
    const method = buf.readUInt16LE(p + 10);
    let csize = buf.readUInt32LE(p + 20);
    let usize = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    let local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = buf.readUInt16LE(e);
      const size = buf.readUInt16LE(e + 2);
      if (id === 1) {
        let q = e + 4;
        if (usize === 0xffffffff) {
          usize = Number(buf.readBigUInt64LE(q));
          q += 8;
        }
        if (csize === 0xffffffff) {
          csize = Number(buf.readBigUInt64LE(q));
          q += 8;
        }
        if (local === 0xffffffff) local = Number(buf.readBigUInt64LE(q));
      }
      e += 4 + size;
    }
    p = extraEnd + commentLen;
    const cs = csize;
    const us = usize;
    const lo = local;
    out.set(name, {
      name,
      size: us,
      read() {
        if (lo + 30 > buf.length || buf.readUInt32LE(lo) !== 0x04034b50) throw new ZipError(`entry ${name}: bad local header`);
        const start = lo + 30 + buf.readUInt16LE(lo + 26) + buf.readUInt16LE(lo + 28);
        if (start + cs > buf.length) throw new ZipError(`entry ${name} is truncated`);
        const raw = buf.subarray(start, start + cs);
        if (method === 0) {
          if (cs !== us) throw new ZipError(`entry ${name}: stored entry with different compressed and uncompressed sizes`);
          return Buffer.from(raw);
        }
        if (method === 8) {
          let data: Buffer;
          try {
            data = inflateRawSync(raw, { maxOutputLength: Math.max(1, us) });
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new ZipError(`entry ${name} inflates past its declared ${us} bytes (corrupt or hostile archive)`);
            throw new ZipError(`entry ${name}: ${(err as Error).message}`);
          }
          if (data.length !== us) throw new ZipError(`entry ${name}: inflated size mismatch`);
          return data;
        }
        throw new ZipError(`entry ${name}: unsupported compression method ${method}`);
      },
    });
  }
  return out;
}
