/**
 * LoRA on the token embedding (PEFT `lora_embedding_A` [r, vocab], `lora_embedding_B`
 * [hidden, r]): each token gains scaling · B · A[:, id]. The graph is fed A^T [vocab, r]
 * and the scaled B^T [r, hidden] per batch row (group `embed`), gathers each token's row
 * of A^T, then multiplies by B^T. It is added before the family's embedding scale, which
 * PEFT also applies to the LoRA output.
 */
import type { GraphContext } from './context.js';

/** x [batch, seq, hidden] plus the embedding LoRA of each row's view; x itself when no slot adapts the embedding. */
export function addEmbeddingLora(ctx: GraphContext, x: string): string {
  const g = ctx.group('embed');
  if (!g) return x;
  const { a, b } = ctx.loraInputs(g);
  const ids = ctx.one('Unsqueeze', ['input_ids', ctx.packer.int64('embed_lora_axes', [-1])]);
  const rows = ctx.one('GatherND', [a, ids], { batch_dims: 1 });
  return ctx.one('Add', [x, ctx.one('MatMul', [rows, b])]);
}
