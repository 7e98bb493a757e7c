/**
 * Rotary embedding with plain ONNX ops, for what GroupQueryAttention's fused rotary cannot
 * do: a rotary dimension whose half is not a multiple of 8, and LongRoPE, whose short or
 * long factors are chosen per row from the row's own length (HF picks them per forward
 * pass from the sequence length; a batch row here is one such sequence).
 */
import { DT } from '../onnx/model.js';
import { ropeCaches, ropeHasLongFactors } from '../rope.js';
import type { ArchSpec, RopeSpec } from '../types.js';
import type { GraphContext } from './context.js';

export interface RotaryTables {
  /** cos/sin for this call's positions, broadcastable to [batch, seq, heads, rotaryDim/2]. */
  cos: string;
  sin: string;
  /** The same for sliding-window layers with their own RoPE (`ropeLocal`), or null. */
  localCos: string | null;
  localSin: string | null;
}

const unfit = (rope: RopeSpec): boolean => ropeHasLongFactors(rope) || (rope.rotaryDim / 2) % 8 !== 0;

/** Whether either RoPE table (global, or the sliding layers' own) is one GroupQueryAttention cannot apply; then every layer rotates with plain ops. */
export function needsGraphRotary(arch: ArchSpec): boolean {
  if (arch.positions !== 'rotary' || !arch.ropeLayers.some((r) => r)) return false;
  return unfit(arch.rope) || (arch.ropeLocal !== null && unfit(arch.ropeLocal));
}

/** cos/sin rows of this call's token positions (total_seq_len - seq .. total_seq_len - 1). */
export function rotaryTables(ctx: GraphContext): RotaryTables {
  const { arch, packer } = ctx;
  const maxPos = ctx.plan.maxPositions;
  const total = ctx.one('Cast', ['total_seq_len'], { to: DT.INT64 });
  const seq = ctx.one('Squeeze', [ctx.one('Slice', [ctx.one('Shape', ['input_ids']), packer.int64('rot_one', [1]), packer.int64('rot_two', [2])]), packer.int64('rot_axis0', [0])]);
  const step = packer.inline('rot_step', DT.INT64, [], new Uint8Array(BigInt64Array.from([1n]).buffer));
  const pos = ctx.one('Range', [ctx.one('Sub', [total, seq]), total, step]);
  const axis1 = packer.int64('rot_axis1', [1]);
  // [S, 1, half]: one row per position, broadcast over heads (half: the table's rotaryDim / 2).
  const rows = (name: string, table: Float32Array, half: number) => ctx.one('Unsqueeze', [ctx.one('Gather', [packer.add(name, [maxPos, half], table), pos], { axis: 0 }), axis1]);
  const half = arch.rope.rotaryDim / 2;
  const short = ropeCaches(arch.rope, maxPos);
  let cos = rows('rot_cos', short.cos, half);
  let sin = rows('rot_sin', short.sin, half);
  if (ropeHasLongFactors(arch.rope) && arch.rope.scaling.type === 'longrope') {
    const long = ropeCaches(arch.rope, maxPos, true);
    const orig = packer.inline('rot_original_len', DT.INT32, [], new Uint8Array(Int32Array.from([arch.rope.scaling.originalMaxPositionEmbeddings]).buffer));
    const one = packer.inline('rot_one_i32', DT.INT32, [], new Uint8Array(Int32Array.from([1]).buffer));
    // Row length = seqlens_k + 1; past the original length the row uses the long factors.
    const isLong = ctx.one('Reshape', [ctx.one('Greater', [ctx.one('Add', ['seqlens_k', one]), orig]), packer.int64('rot_row_shape', [-1, 1, 1, 1])]);
    cos = ctx.one('Where', [isLong, rows('rot_cos_long', long.cos, half), cos]);
    sin = ctx.one('Where', [isLong, rows('rot_sin_long', long.sin, half), sin]);
  }
  let localCos: string | null = null;
  let localSin: string | null = null;
  if (arch.ropeLocal !== null) {
    const local = ropeCaches(arch.ropeLocal, maxPos);
    localCos = rows('rot_local_cos', local.cos, arch.ropeLocal.rotaryDim / 2);
    localSin = rows('rot_local_sin', local.sin, arch.ropeLocal.rotaryDim / 2);
  }
  return { cos, sin, localCos, localSin };
}

/**
 * Rotates the first `rot` dims of each head (size D: the layer's own, per-layer head sizes)
 * of x [B, S, heads * D] (halves, as HF rotate_half); the rest pass through. `rot` is the
 * rotaryDim of the table cos/sin come from.
 */
export function applyGraphRotary(ctx: GraphContext, x: string, heads: number, D: number, rot: number, cos: string, sin: string, tag: string): string {
  const { packer } = ctx;
  const half = rot / 2;
  const x4 = ctx.one('Reshape', [x, packer.int64(`${tag}_heads`, [0, 0, heads, D])]);
  const sizes = rot < D ? [half, half, D - rot] : [half, half];
  const parts = ctx.add('Split', [x4, packer.int64(`${tag}_split`, sizes)], { axis: -1 }, undefined, sizes.length);
  const [x1, x2] = parts as [string, string];
  const o1 = ctx.one('Sub', [ctx.one('Mul', [x1, cos]), ctx.one('Mul', [x2, sin])]);
  const o2 = ctx.one('Add', [ctx.one('Mul', [x2, cos]), ctx.one('Mul', [x1, sin])]);
  const joined = ctx.one('Concat', [o1, o2, ...parts.slice(2)], { axis: -1 });
  return ctx.one('Reshape', [joined, packer.int64(`${tag}_flat`, [0, 0, heads * D])]);
}
