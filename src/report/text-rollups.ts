/** Category ordering and the rollup lines shared by the terminal and Markdown reports. */
import { CATEGORIES, type SwayScore } from '../core/results.js';

export function orderedCategories(score: SwayScore): string[] {
  const present = Object.keys(score.components);
  return [...CATEGORIES.filter((c) => present.includes(c)), ...present.filter((c) => !(CATEGORIES as readonly string[]).includes(c))];
}

export function categoryLabel(score: SwayScore, cat: string): string {
  return ((score.weights as Record<string, number>)[cat] ?? 0) === 0 ? '(informational, weight=0)' : '';
}
