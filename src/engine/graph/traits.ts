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
  if (a.vNorm && a.qkNorm !== 'per_head') out.push('a value norm without per-head q/k norms');
  return out;
}

export function assertImplemented(a: ArchSpec, who: string): void {
  const missing = unimplementedTraits(a);
  if (missing.length) {
    throw new ModelError(`${a.family}: the ${who} does not implement ${missing.join(', ')} yet`, 'SWAY_ARCH_UNSUPPORTED');
  }
}
