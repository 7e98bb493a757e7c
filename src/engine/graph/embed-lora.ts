/**
 * LoRA on the token embedding (PEFT `lora_embedding_A` [r, vocab], `lora_embedding_B`
 * [hidden, r]): each token gains scaling * B * A[:, id]. The graph is fed every view's A
 * stacked as [views*r, vocab] and the scaled B^T as [views*r, hidden] (group `embed`, the
 * layout of every LoRA group); each token's column of A is gathered, the row's view mask
 * keeps its own view's r values, and the product with B^T gives the delta. It is added
 * before the family's embedding scale, which PEFT also applies to the LoRA output.
 */
import type { GraphContext } from './context.js';

/** x [batch, seq, hidden] plus the embedding LoRA of each row's view; x itself when no slot adapts the embedding. */
export function addEmbeddingLora(ctx: GraphContext, x: string): string {
  const g = ctx.group('embed');
  if (!g) return x;
  const { a, b, mask } = ctx.loraInputs(g);
  const columns = ctx.one('Gather', [a, 'input_ids'], { axis: 1 }); // [views*r, batch, seq]
  const rows = ctx.one('Transpose', [columns], { perm: [1, 2, 0] });
  return ctx.one('Add', [x, ctx.one('MatMul', [ctx.one('Mul', [rows, mask]), b])]);
}
