/** The strict spec schema every probe kind extends: name, kind, enabled, weight plus its own fields. */
import { z } from 'zod';
import { laxBool, laxFloat, strictObject } from '../core/schema.js';

export function probeSchema<K extends string, T extends z.ZodRawShape>(kind: K, shape: T) {
  return strictObject({
    name: z.string(),
    kind: z.literal(kind).default(kind),
    enabled: laxBool.default(true),
    weight: laxFloat.default(1.0),
    ...shape,
  });
}

export const divergenceKindSchema = z.enum(['js', 'kl']).default('js');

/** Prompts the delta_kl calibration uses (and other sentinel-based calibrations). */
export const SENTINEL_PROMPTS = Object.freeze([
  'The capital of',
  'Once upon a time',
  'An interesting fact is',
  'The next step is to',
]);
