/** Score categories in report order and their built-in weights (shared by the scorer and renderers). */
import type { Category } from '../core/results.js';

export const DEFAULT_COMPONENT_WEIGHTS: Readonly<Record<Category, number>> = Object.freeze({
  adherence: 0.3,
  attribution: 0.35,
  calibration: 0.2,
  ablation: 0.15,
  baseline: 0.0,
});

export const CATEGORY_ORDER: readonly Category[] = ['adherence', 'attribution', 'calibration', 'ablation', 'baseline'];

/** noise < 0.3 <= partial < 0.6 <= healthy <= 0.85 < suspicious. */
export function bandFor(overall: number): string {
  if (overall < 0.3) return 'noise';
  if (overall < 0.6) return 'partial';
  if (overall <= 0.85) return 'healthy';
  return 'suspicious';
}

/** Default categories in default order, then extra ones in components order. */
export function orderedCategories(components: Record<string, number>): string[] {
  const present = Object.keys(components);
  const known = CATEGORY_ORDER.filter((c) => present.includes(c));
  return [...known, ...present.filter((c) => !(CATEGORY_ORDER as readonly string[]).includes(c))];
}
