/**
 * Initializer storage for the decoder graph. Two kinds of weights:
 * - produced fp32 weights (norms with their offset, fused biases, RoPE tables, saved copies,
 *   anything a source cannot hand over as is), written into one 64-byte-aligned external-data
 *   buffer or file by their producers;
 * - stored weights: a checkpoint tensor's own bytes (bf16, fp16 or fp32) used where they sit
 *   in the checkpoint file (through a hard link next to the graph), so a load neither
 *   converts nor writes them; the graph casts them to fp32 (onnxruntime folds the cast at
 *   session creation).
 * Offsets and locations are assigned when the weights are laid out, in memory or in a folder.
 */
import { closeSync, ftruncateSync, linkSync, openSync, realpathSync, statSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ModelError, SwayError } from '../../core/errors.js';
import { DT, type InitializerDef } from '../onnx/model.js';
import { nonFiniteError, readAt } from '../safetensors/reader.js';
import { countNonFinite, scanSync, withOpenFiles, type StoredSource } from '../stored-scan.js';

export type { StoredSource } from '../stored-scan.js';

export const EXTERNAL_LOCATION = 'sway-weights.bin';

/**
 * Fills values [start, start + out.length) of a weight (flat, row-major) into `out`, so a
 * large tensor can be written piece by piece.
 */
export interface RangeProducer {
  range(out: Float32Array, start: number): void;
}

/** Fills an fp32 destination (a slice of the one external-data buffer) with a weight. */
export type Producer = Float32Array | ((out: Float32Array) => void) | RangeProducer;

/** A hard link of a laid-out folder: `name` (next to the graph) is the file `target`, with the inode, size and mtime the entry checks. */
export interface SourceLink {
  name: string;
  target: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

/** Values written per piece of a RangeProducer (16 MB of fp32); stored tensors are scanned in pieces of 4× that in bytes. */
const PIECE = 4 << 20;

function isRange(p: Producer): p is RangeProducer {
  return typeof p === 'object' && !(p instanceof Float32Array);
}

type StoredPart = { kind: 'stored'; init: InitializerDef; src: StoredSource };
type Part = { kind: 'fp32'; init: InitializerDef; length: number; producer: Producer } | StoredPart;

const ELEMENT_BYTES: Record<number, number> = { [DT.FLOAT]: 4, [DT.FLOAT16]: 2, [DT.BFLOAT16]: 2 };

/**
 * Producers run only when the weights are laid out, each writing straight into its slice.
 * Writing to a file, a RangeProducer goes in pieces, so the JS side holds at most one piece
 * or one whole-tensor producer's tensor besides what it writes.
 */
export class WeightPacker {
  readonly inits: InitializerDef[] = [];
  private parts: Part[] = [];
  private aliases: { init: InitializerDef; of: InitializerDef }[] = [];
  private laidOut = false;

  /** `piece`: values per piece when a RangeProducer is written to a file (tests lower it). */
  constructor(private readonly piece = PIECE) {}

  private placeholder(name: string, dataType: number, dims: number[]): InitializerDef {
    if (this.laidOut) throw new SwayError('internal: weight added after layout', 'SWAY_RUNTIME', 3);
    const init: InitializerDef = { name, dataType, dims, external: { location: EXTERNAL_LOCATION, offset: 0, length: 0 } };
    this.inits.push(init);
    return init;
  }

  add(name: string, dims: number[], producer: Producer): string {
    const length = dims.reduce((a, b) => a * b, 1);
    this.parts.push({ kind: 'fp32', init: this.placeholder(name, DT.FLOAT, dims), length, producer });
    return name;
  }

  /** A checkpoint tensor kept in its stored bytes and type (the graph casts it). */
  addStored(name: string, dims: number[], src: StoredSource): string {
    const width = ELEMENT_BYTES[src.dataType];
    if (!width || dims.reduce((a, b) => a * b, 1) * width !== src.byteLength) {
      throw new ModelError(`${src.path}: tensor '${src.tensor}' has an unexpected size`);
    }
    this.parts.push({ kind: 'stored', init: this.placeholder(name, src.dataType, dims), src });
    return name;
  }

  /** A second initializer over the same bytes as `of` (stored once). */
  alias(name: string, of: string): string {
    const src = this.inits.find((i) => i.name === of);
    if (!src?.external) throw new SwayError(`internal: no packed weight '${of}' to alias`, 'SWAY_RUNTIME', 3);
    const init: InitializerDef = { name, dataType: src.dataType, dims: src.dims, external: { ...src.external } };
    this.inits.push(init);
    this.aliases.push({ init, of: src });
    return name;
  }

  /** Element type of an initializer added here (DT.FLOAT for produced weights). */
  dataType(name: string): number | undefined {
    return this.inits.find((i) => i.name === name)?.dataType;
  }

  has(name: string): boolean {
    return this.inits.some((i) => i.name === name);
  }

  inline(name: string, dataType: number, dims: number[], raw: Uint8Array): string {
    this.inits.push({ name, dataType, dims, raw });
    return name;
  }

  int64(name: string, values: number[]): string {
    return this.inline(name, DT.INT64, [values.length], new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer));
  }

  /** A named fp32 scalar constant (created once per name). */
  scalar(name: string, value: number): string {
    if (this.has(name)) return name;
    return this.inline(name, DT.FLOAT, [], new Uint8Array(Float32Array.from([value]).buffer));
  }

  /**
   * Assigns every external initializer its location and offset: stored tensors whose file
   * `linkFor` names stay where they sit in it; everything else (produced fp32 weights, and
   * stored tensors copied as they are) goes into the one buffer or weight file. Returns its
   * byte length.
   */
  private layout(linkFor: (path: string) => string | null): number {
    let size = 0;
    for (const p of this.parts) {
      const ext = p.init.external!;
      const link = p.kind === 'stored' ? linkFor(p.src.path) : null;
      if (p.kind === 'stored' && link) {
        Object.assign(ext, { location: link, offset: p.src.offset, length: p.src.byteLength });
        continue;
      }
      const offset = Math.ceil(size / 64) * 64;
      const length = p.kind === 'fp32' ? p.length * 4 : p.src.byteLength;
      Object.assign(ext, { location: EXTERNAL_LOCATION, offset, length });
      size = offset + length;
    }
    for (const a of this.aliases) Object.assign(a.init.external!, a.of.external);
    this.laidOut = true;
    return size;
  }

  private stored(): StoredPart[] {
    return this.parts.filter((p): p is StoredPart => p.kind === 'stored');
  }

  /**
   * Lays the weights out in a folder: a hard link per checkpoint file next to the graph
   * (onnxruntime reads external data only from files inside the graph's folder, and refuses
   * symbolic links that lead out of it), so stored tensors are used where they sit; where a
   * link cannot be made (another file system, no permission) they are copied as they are
   * into `sway-weights.bin` with the produced fp32 weights, written tensor by tensor. Copied
   * stored bytes are scanned for NaN/Inf as they are copied (refused naming file and tensor);
   * the linked ones are returned unscanned, for the caller to scan (stored-scan.ts) while the
   * session is created. The caller writes the graph after this and syncs the file before
   * relying on it surviving a crash; buffer() may still follow, should the folder not load.
   */
  writeFolder(dir: string): { links: SourceLink[]; unscanned: StoredSource[] } {
    const links = new Map<string, SourceLink | null>();
    for (const p of this.stored()) {
      if (links.has(p.src.path)) continue;
      // The file itself, not a symbolic link to it (a Hugging Face cache snapshot links to its blobs).
      const target = realpathSync(p.src.path);
      const name = `source-${links.size}-${basename(target)}`;
      try {
        linkSync(target, join(dir, name));
        const st = statSync(join(dir, name));
        links.set(p.src.path, { name, target, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
      } catch {
        links.set(p.src.path, null);
      }
    }
    const size = this.layout((path) => links.get(path)?.name ?? null);
    const fd = openSync(join(dir, EXTERNAL_LOCATION), 'w');
    try {
      ftruncateSync(fd, size);
      const fp32 = this.parts.filter((p) => p.kind === 'fp32');
      const scratch = new Float32Array(Math.max(0, ...fp32.map((p) => (isRange(p.producer) ? Math.min(p.length, this.piece) : p.length))));
      for (const p of fp32) {
        const offset = p.init.external!.offset;
        if (isRange(p.producer)) {
          for (let start = 0; start < p.length; start += this.piece) {
            const out = scratch.subarray(0, Math.min(this.piece, p.length - start));
            p.producer.range(out, start);
            writeSync(fd, new Uint8Array(out.buffer, 0, out.length * 4), 0, out.length * 4, offset + start * 4);
          }
          continue;
        }
        const out = scratch.subarray(0, p.length);
        if (typeof p.producer === 'function') {
          out.fill(0);
          p.producer(out);
        } else out.set(p.producer);
        writeSync(fd, new Uint8Array(out.buffer, 0, p.length * 4), 0, p.length * 4, offset);
      }
      const copied = this.stored().filter((p) => p.init.external!.location === EXTERNAL_LOCATION);
      const offsets = new Map(copied.map((p) => [p.src, p.init.external!.offset]));
      const found = scanSync(
        copied.map((p) => p.src),
        (src, bytes, at) => writeSync(fd, bytes, 0, bytes.length, (offsets.get(src) as number) + at),
        this.piece * 4,
      );
      if (found) throw nonFiniteError(found.src.path, found.src.tensor, found.bad);
    } finally {
      closeSync(fd);
    }
    return {
      links: [...links.values()].filter((l): l is SourceLink => l !== null),
      unscanned: this.stored().filter((p) => p.init.external!.location !== EXTERNAL_LOCATION).map((p) => p.src),
    };
  }

  /** Lays every weight out in one in-memory buffer (stored tensors copied as they are and scanned). */
  buffer(): Buffer {
    const buf = Buffer.alloc(this.layout(() => null));
    for (const p of this.parts) {
      if (p.kind !== 'fp32') continue;
      const out = new Float32Array(buf.buffer, buf.byteOffset + p.init.external!.offset, p.length);
      if (isRange(p.producer)) p.producer.range(out, 0);
      else if (typeof p.producer === 'function') p.producer(out);
      else out.set(p.producer);
    }
    const offsets = new Map(this.stored().map((p) => [p.src, p.init.external!.offset]));
    withOpenFiles([...offsets.keys()], (src, fd) => {
      const bytes = new Uint8Array(buf.buffer, buf.byteOffset + (offsets.get(src) as number), src.byteLength);
      readAt(fd, src.path, bytes, src.offset);
      const bad = countNonFinite(bytes, src.dataType);
      if (bad) throw nonFiniteError(src.path, src.tensor, bad);
    });
    this.parts = [];
    return buf;
  }
}
