/** How a caller names a view of the model and asks for generation; shared by the backend contract and the engine. */

/** A view: base (adapter off), fine-tuned, adapter scaled by lambda, or a seeded null adapter. */
export type ViewSelector =
  | { kind: 'base' }
  | { kind: 'ft' }
  | { kind: 'scaled'; lambda: number }
  | { kind: 'null'; seed: number; scale?: 'matched' | 'init'; initScale?: number; rankScale?: number };

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 (default) means greedy decoding. */
  temperature?: number;
  topP?: number;
  seed?: number;
  /** Stop strings: generation ends when the decoded continuation contains one (it is cut there). */
  stop?: string[];
}
