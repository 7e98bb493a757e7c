/** Category ordering and the rollup lines shared by the terminal and Markdown reports. */
import { CATEGORIES, type SwayScore } from '../core/results.js';

/** Categories with a component or a weight, in the canonical order, then any others. */
export function orderedCategories(score: SwayScore): string[] {
  const present = [...new Set([...Object.keys(score.components), ...Object.keys(score.weights ?? {})])];
  return [...CATEGORIES.filter((c) => present.includes(c)), ...present.filter((c) => !(CATEGORIES as readonly string[]).includes(c))];
}

/** The category's score, or undefined when no probe of it was scored (shown as "—"). */
export function categoryScore(score: SwayScore, cat: string): number | undefined {
  const v = (score.components as Record<string, number | undefined>)[cat];
  return typeof v === 'number' ? v : undefined;
}

export function categoryLabel(score: SwayScore, cat: string): string {
  if (categoryScore(score, cat) === undefined) return '(no probes scored; left out of the composite)';
  return ((score.weights as Record<string, number>)[cat] ?? 0) === 0 ? '(informational, weight=0)' : '';
}
