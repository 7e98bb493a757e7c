/**
 * The NaN/Inf scan of checkpoint tensors used as stored. A cold load reads them only to refuse
 * non-finite values (onnxruntime reads them itself); that scan runs on a worker thread while
 * onnxruntime creates the session on the main one, so its read and count cost no wall time on
 * a machine with a second core. Where no worker can be started (this module is not compiled
 * JS, e.g. under the test runner) it runs here, before the session is created.
 */
import { closeSync, existsSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ModelError } from '../core/errors.js';
import { DT } from './onnx/model.js';
import { countNonFiniteBf16, countNonFiniteF16, countNonFiniteF32 } from './safetensors/dtype.js';
import { nonFiniteError, readAt } from './safetensors/reader.js';

/** A checkpoint tensor's bytes as they sit in its file. */
export interface StoredSource {
  /** Tensor name, for errors. */
  tensor: string;
  path: string;
  /** Absolute byte offset in the file. */
  offset: number;
  byteLength: number;
  /** ONNX element type: DT.FLOAT, DT.FLOAT16 or DT.BFLOAT16. */
  dataType: number;
}

/** Bytes read per piece (64 MB). */
const PIECE = 64 << 20;

export function countNonFinite(bytes: Uint8Array, dataType: number): number {
  if (dataType === DT.FLOAT) return countNonFiniteF32(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
  const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
  return dataType === DT.BFLOAT16 ? countNonFiniteBf16(halves) : countNonFiniteF16(halves);
}

/** Runs `fn` for each source with an open descriptor of its file (each file opened once). */
export function withOpenFiles(sources: readonly StoredSource[], fn: (src: StoredSource, fd: number) => void): void {
  const fds = new Map<string, number>();
  try {
    for (const src of sources) {
      let fd = fds.get(src.path);
      if (fd === undefined) fds.set(src.path, (fd = openSync(src.path, 'r')));
      fn(src, fd);
    }
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
}

/**
 * Reads every source in pieces and counts its non-finite values; `each` sees every piece
 * (its bytes and byte position in the tensor). Returns the first bad tensor, or null.
 */
export function scanSync(sources: readonly StoredSource[], each?: (src: StoredSource, bytes: Uint8Array, at: number) => void, piece = PIECE): { src: StoredSource; bad: number } | null {
  if (!sources.length) return null;
  const scratch = new Uint8Array(Math.min(piece, Math.max(...sources.map((s) => s.byteLength))));
  let found: { src: StoredSource; bad: number } | null = null;
  withOpenFiles(sources, (src, fd) => {
    for (let at = 0; at < src.byteLength && !found; at += scratch.length) {
      const bytes = scratch.subarray(0, Math.min(scratch.length, src.byteLength - at));
      readAt(fd, src.path, bytes, src.offset + at);
      const bad = countNonFinite(bytes, src.dataType);
      if (bad) found = { src, bad };
      else each?.(src, bytes, at);
    }
  });
  return found;
}

const SELF = fileURLToPath(import.meta.url);

/**
 * Starts the scan: on a worker thread where possible (resolves when it is done), else here at
 * once. Rejects with the ModelError naming the first bad tensor.
 */
export function scanInBackground(sources: readonly StoredSource[]): Promise<void> {
  if (!sources.length) return Promise.resolve();
  if (SELF.endsWith('.js') && existsSync(SELF)) {
    return new Promise((resolve, reject) => {
      const worker = new Worker(SELF, { workerData: sources });
      worker.once('message', (m: { bad: number; src: StoredSource } | { error: string } | null) => {
        if (m === null) resolve();
        else if ('error' in m) reject(new ModelError(m.error, 'SWAY_MODEL_INVALID'));
        else reject(nonFiniteError(m.src.path, m.src.tensor, m.bad));
        void worker.terminate();
      });
      worker.once('error', (err) => reject(err));
    });
  }
  try {
    const found = scanSync(sources);
    return found ? Promise.reject(nonFiniteError(found.src.path, found.src.tensor, found.bad)) : Promise.resolve();
  } catch (err) {
    return Promise.reject(err);
  }
}

if (!isMainThread && parentPort && Array.isArray(workerData)) {
  try {
    parentPort.postMessage(scanSync(workerData as StoredSource[]));
  } catch (err) {
    parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
}
