/**
 * One onnxruntime session per loaded base, and the forward call: rows of token ids (each
 * with its own view) are right-padded into one batch; the logits come back only for the
 * positions asked for.
 */
import { cpus } from 'node:os';
import ort from 'onnxruntime-node';
import { WEIGHTS_LOCATION, maskInputName, type DecoderModel, type SlotSpec } from './graph/decoder.js';
import { ropeTables } from './rope.js';
import type { ArchSpec } from './types.js';
import type { ViewFeeds } from './views.js';

export interface ForwardRow {
  ids: readonly number[];
  view: ViewFeeds;
  /** Positions (0-based) whose next-token logits are wanted. */
  positions: readonly number[];
}

export interface EmbeddingRows {
  /** Base embedding row for a token id (fp32, length hidden), for saved embedding rows. */
  baseRow(id: number): Float32Array;
  /** Replacement embedding row when the adapter is on, or null when unchanged. */
  savedRow(id: number): Float32Array | null;
}

/** Keys [B,KV,1,D,length] and values [B,KV,1,length,D] per layer. */
export interface KvCache {
  length: number;
  keys: ort.Tensor[];
  values: ort.Tensor[];
}

export interface SessionStats {
  forwardPasses: number;
  batchedRows: number;
  tokens: number;
}

const MASKED = -1e9;

export class DecoderSession {
  readonly stats: SessionStats = { forwardPasses: 0, batchedRows: 0, tokens: 0 };
  private ropeCache: { n: number; cos: Float32Array; sin: Float32Array } | null = null;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly arch: ArchSpec,
    private readonly slots: SlotSpec[],
    private readonly hasOverrides: boolean,
    private readonly headOverride: boolean,
    private readonly embedRows: EmbeddingRows | null,
  ) {}

  static async create(
    built: DecoderModel,
    arch: ArchSpec,
    slots: SlotSpec[],
    opts: { threads?: number; hasOverrides: boolean; headOverride: boolean; embedRows: EmbeddingRows | null },
  ): Promise<DecoderSession> {
    const session = await ort.InferenceSession.create(built.model, {
      externalData: [{ path: WEIGHTS_LOCATION, data: built.weights }],
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: opts.threads ?? Math.max(1, cpus().length),
      interOpNumThreads: 1,
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    return new DecoderSession(session, arch, slots, opts.hasOverrides, opts.headOverride, opts.embedRows);
  }

  private rope(n: number): { cos: Float32Array; sin: Float32Array } {
    if (!this.ropeCache || this.ropeCache.n < n) {
      const D = this.arch.headDim;
      const half = D / 2;
      // grow geometrically: generation asks for one more position every step
      const rowsN = Math.max(n, 64, 2 * (this.ropeCache?.n ?? 0));
      const t = ropeTables(this.arch.rope, rowsN);
      const cos = new Float32Array(rowsN * D);
      const sin = new Float32Array(rowsN * D);
      for (let p = 0; p < rowsN; p++) {
        for (let i = 0; i < half; i++) {
          cos[p * D + i] = cos[p * D + half + i] = t.cos[p * half + i]!;
          sin[p * D + i] = sin[p * D + half + i] = t.sin[p * half + i]!;
        }
      }
      this.ropeCache = { n: rowsN, cos, sin };
    }
    return this.ropeCache;
  }

  /** Returns logits [Σ positions, vocab] in row order. */
  async forward(rows: readonly ForwardRow[]): Promise<Float32Array> {
    return (await this.run(rows, null, false)).logits;
  }

  /**
   * One row continued from a KV cache (`past` = null for a fresh sequence): `row.ids` are the
   * new tokens only, positions are relative to them. Returns the logits and the grown cache.
   */
  async forwardCached(row: ForwardRow, past: KvCache | null): Promise<{ logits: Float32Array; cache: KvCache }> {
    const r = await this.run([row], past, true);
    return { logits: r.logits, cache: r.cache! };
  }

  private emptyPast(B: number): KvCache {
    const { numKvHeads: KV, headDim: D, numLayers } = this.arch;
    const keys = Array.from({ length: numLayers }, () => new ort.Tensor('float32', new Float32Array(0), [B, KV, 1, D, 0]));
    const values = Array.from({ length: numLayers }, () => new ort.Tensor('float32', new Float32Array(0), [B, KV, 1, 0, D]));
    return { length: 0, keys, values };
  }

  private async run(rows: readonly ForwardRow[], pastIn: KvCache | null, wantCache: boolean): Promise<{ logits: Float32Array; cache: KvCache | null }> {
    const { arch } = this;
    const B = rows.length;
    const past = pastIn ?? this.emptyPast(B);
    const P = past.length;
    const S = Math.max(1, ...rows.map((r) => r.ids.length));
    const H = arch.hiddenSize;
    const D = arch.headDim;
    const ids = new BigInt64Array(B * S);
    const delta = new Float32Array(B * S * H);
    const picks: number[] = [];
    rows.forEach((r, b) => {
      r.ids.forEach((id, s) => (ids[b * S + s] = BigInt(id)));
      for (const p of r.positions) picks.push(b * S + p);
      this.embeddingDelta(r, delta.subarray(b * S * H, (b + 1) * S * H));
    });
    const { cos: cosT, sin: sinT } = this.rope(P + S);
    const cos = new Float32Array(B * S * D);
    const sin = new Float32Array(B * S * D);
    for (let b = 0; b < B; b++) {
      cos.set(cosT.subarray(P * D, (P + S) * D), b * S * D);
      sin.set(sinT.subarray(P * D, (P + S) * D), b * S * D);
    }
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [B, S]),
      embed_delta: new ort.Tensor('float32', delta, [B, S, H]),
      cos: new ort.Tensor('float32', cos, [B, S, 1, 1, D]),
      sin: new ort.Tensor('float32', sin, [B, S, 1, 1, D]),
      rows: new ort.Tensor('int64', BigInt64Array.from(picks.map((p) => BigInt(p))), [picks.length]),
    };
    for (const w of new Set(arch.slidingWindow)) feeds[maskInputName(w)] = new ort.Tensor('float32', this.mask(rows, S, w, P), [B, 1, 1, S, P + S]);
    for (let l = 0; l < arch.numLayers; l++) {
      feeds[`past_key_${l}`] = past.keys[l]!;
      feeds[`past_value_${l}`] = past.values[l]!;
    }
    if (this.hasOverrides) feeds['ovr_sel'] = new ort.Tensor('float32', Float32Array.from(rows, (r) => (r.view.adapterOn ? 1 : 0)), [B, 1, 1]);
    if (this.headOverride) {
      const sel = new Float32Array(picks.length);
      let n = 0;
      for (const r of rows) for (let i = 0; i < r.positions.length; i++) sel[n++] = r.view.adapterOn ? 1 : 0;
      feeds['head_sel'] = new ort.Tensor('float32', sel, [picks.length, 1]);
    }
    for (const spec of this.slots) {
      const { inFeatures: inn, outFeatures: out, rank } = spec.slot;
      const a = new Float32Array(B * inn * rank);
      const bm = new Float32Array(B * rank * out);
      const bias = spec.hasBias ? new Float32Array(B * out) : null;
      const gain = spec.dora ? new Float32Array(B * out) : null;
      rows.forEach((r, b) => {
        const f = r.view.slots[spec.index]!;
        a.set(f.a, b * inn * rank);
        bm.set(f.b, b * rank * out);
        if (bias) bias.set(f.bias ?? new Float32Array(out), b * out);
        if (gain) gain.set(f.gain ?? new Float32Array(out).fill(1), b * out);
      });
      feeds[`lora_a_${spec.index}`] = new ort.Tensor('float32', a, [B, inn, rank]);
      feeds[`lora_b_${spec.index}`] = new ort.Tensor('float32', bm, [B, rank, out]);
      if (bias) feeds[`lora_bias_${spec.index}`] = new ort.Tensor('float32', bias, [B, 1, out]);
      if (gain) feeds[`dora_g_${spec.index}`] = new ort.Tensor('float32', gain, [B, 1, out]);
    }
    const fetches = wantCache ? undefined : ['logits'];
    const result = fetches ? await this.session.run(feeds, fetches) : await this.session.run(feeds);
    this.stats.forwardPasses++;
    this.stats.batchedRows += B;
    this.stats.tokens += B * S;
    const logits = result['logits']!.data as Float32Array;
    if (!wantCache) return { logits, cache: null };
    const keys = Array.from({ length: arch.numLayers }, (_, l) => result[`present_key_${l}`]!);
    const values = Array.from({ length: arch.numLayers }, (_, l) => result[`present_value_${l}`]!);
    return { logits, cache: { length: P + S, keys, values } };
  }

  /** Additive mask [B, S, P+S]: query i (position P+i) sees keys up to itself within its row and window. */
  private mask(rows: readonly ForwardRow[], S: number, window: number | null, P: number): Float32Array {
    const T = P + S;
    const m = new Float32Array(rows.length * S * T).fill(MASKED);
    rows.forEach((r, b) => {
      const len = P + r.ids.length;
      for (let i = 0; i < S; i++) {
        const pos = P + i;
        const lo = window === null ? 0 : Math.max(0, pos - window + 1);
        const hi = Math.min(pos, len - 1);
        for (let j = lo; j <= hi; j++) m[(b * S + i) * T + j] = 0;
      }
    });
    return m;
  }

  private embeddingDelta(r: ForwardRow, out: Float32Array): void {
    const H = this.arch.hiddenSize;
    const e = r.view.embed;
    if (e) {
      const vocab = e.a.length / e.rank;
      r.ids.forEach((id, s) => {
        for (let d = 0; d < H; d++) {
          let acc = 0;
          for (let k = 0; k < e.rank; k++) acc += e.b[d * e.rank + k]! * e.a[k * vocab + id]!;
          out[s * H + d] = out[s * H + d]! + e.coef * acc;
        }
      });
    }
    if (r.view.adapterOn && this.embedRows) {
      r.ids.forEach((id, s) => {
        const saved = this.embedRows!.savedRow(id);
        if (!saved) return;
        const base = this.embedRows!.baseRow(id);
        for (let d = 0; d < H; d++) out[s * H + d] = out[s * H + d]! + saved[d]! - base[d]!;
      });
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
