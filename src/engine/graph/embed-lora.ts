/**
 * LoRA on the token embedding (PEFT `lora_embedding_A` [r, vocab], `lora_embedding_B`
 * [hidden, r]): each token gains scaling · B · A[:, id]. The graph is fed A^T [vocab, r]
 * and the scaled B^T [r, hidden] once per distinct view (group `embed`), gathers each
 * token's row of its row's view's A^T by (view, id), then multiplies by the row's B^T.
 * Gathering by (view, id) avoids copying a [vocab, r] table per batch row. It is added
 * before the family's embedding scale, which PEFT also applies to the LoRA output.
 */
import type { GraphContext } from './context.js';

/** x [batch, seq, hidden] plus the embedding LoRA of each row's view; x itself when no slot adapts the embedding. */
export function addEmbeddingLora(ctx: GraphContext, x: string): string {
  const g = ctx.group('embed');
  if (!g) return x;
  const { a, b } = ctx.loraViewInputs(g);
  const { packer } = ctx;
  const ids = ctx.one('Unsqueeze', ['input_ids', packer.int64('embed_lora_axes', [-1])]);
  const view = ctx.one('Expand', [ctx.one('Unsqueeze', [ctx.viewIdx(), packer.int64('embed_lora_view_axes', [1, 2])]), ctx.one('Shape', [ids])]);
  const rows = ctx.one('GatherND', [a, ctx.one('Concat', [view, ids], { axis: -1 })]);
  return ctx.one('Add', [x, ctx.one('MatMul', [rows, ctx.perRow(b)])]);
}
