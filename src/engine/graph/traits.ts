/**
 * Architecture traits the family table can describe but the graph builder and the float64
 * reference do not implement yet. Both refuse such an ArchSpec here, in one place; a new
 * family removes the lines for the traits it implements (in graph/layers.ts and
 * reference/forward.ts together, with a numerics test).
 */
import { ModelError } from '../../core/errors.js';
import type { ArchSpec } from '../types.js';

export function unimplementedTraits(a: ArchSpec): string[] {
  const out: string[] = [];
  // Rotary dimensions GroupQueryAttention cannot rotate are done with plain ops (graph/rotary.ts), so no rotary refusal.
  // Per-layer head sizes are wired for a fixed attention scale (gemma4 'unscaled'); a head_dim^-0.5 scale would differ per layer.
  if (a.layerHeads && a.layerHeads.some((h) => h.headDim !== a.headDim) && a.attentionScale !== 1) out.push('per-layer head sizes with a head-size-dependent attention scale');
  if (a.vNorm && a.qkNorm !== 'per_head') out.push('a value norm without per-head q/k norms');
  if (a.kvSource && a.kvSource.some((s, l) => s !== l) && (a.qkNorm !== 'per_head' || a.fused.qkv)) out.push('KV sharing without per-head q/k norms and separate q/k/v projections');
  if (a.keysAsValues && a.keysAsValues.some(Boolean) && (a.qkNorm !== 'per_head' || a.fused.qkv)) out.push('keys as values without per-head q/k norms and separate q/k/v projections');
  return out;
}

export function assertImplemented(a: ArchSpec, who: string): void {
  const missing = unimplementedTraits(a);
  if (missing.length) {
    throw new ModelError(`${a.family}: the ${who} does not implement ${missing.join(', ')} yet`, 'SWAY_ARCH_UNSUPPORTED');
  }
}
