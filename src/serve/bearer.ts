/**
 * Bearer-token check for the daemon. Both sides are hashed first so the comparison is
 * constant-time regardless of the presented token's length (timingSafeEqual needs equal
 * lengths, and an early length check would leak the key length).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** True when `authorization` is exactly `Bearer <apiKey>`. */
export function bearerMatches(authorization: string | undefined | null, apiKey: string): boolean {
  const presented = authorization ?? '';
  return timingSafeEqual(digest(presented), digest(`Bearer ${apiKey}`));
}
