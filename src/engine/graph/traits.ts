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
  if (a.norm.kind !== 'rms') out.push(`norm kind '${a.norm.kind}'`);
  if (a.norm.bias) out.push('norm bias');
  if (a.normPlacement !== 'pre') out.push(`norm placement '${a.normPlacement}'`);
  if (a.hiddenAct !== 'silu') out.push(`activation '${a.hiddenAct}'`);
  if (a.mlp !== 'gated') out.push(`${a.mlp} MLP`);
  if (a.residual !== 'sequential') out.push(`${a.residual} residual`);
  if (a.positions !== 'rotary') out.push(`${a.positions} positions`);
  if (a.rope.rotaryDim !== a.headDim) out.push('partial rotary');
  if (a.ropeLayers.some((on) => !on)) out.push('layers without rotary');
  if (a.ropeLocalTheta !== null) out.push('separate rotary base for local layers');
  if (a.attnSoftcap !== null) out.push('attention soft-cap');
  if (a.finalLogitSoftcap !== null) out.push('final-logit soft-cap');
  if (a.qkNorm === 'full') out.push('full-width q/k norm');
  if (a.transposedLinear) out.push('Conv1D (transposed) linear weights');
  return out;
}

export function assertImplemented(a: ArchSpec, who: string): void {
  const missing = unimplementedTraits(a);
  if (missing.length) {
    throw new ModelError(`${a.family}: the ${who} does not implement ${missing.join(', ')} yet`, 'SWAY_ARCH_UNSUPPORTED');
  }
}
