/** The reference's character-based token estimate: max(1, floor(code points / 4)). */
export function tokenEstimate(s: string): number {
  return Math.max(1, Math.floor(Array.from(s).length / 4));
}
