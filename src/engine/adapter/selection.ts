/**
 * PEFT's module selection rules, evaluated on module paths such as
 * `model.layers.3.self_attn.q_proj`: target_modules / exclude_modules (list, regex,
 * "all-linear"), layers_to_transform + layers_pattern, and rank/alpha pattern lookup.
 */
import type { AdapterConfig } from './config.js';
import { compilePythonRegex } from './pyregex.js';

export type ModuleMatcher = (modulePath: string) => boolean;

function listMatcher(names: readonly string[]): ModuleMatcher {
  return (p) => names.some((n) => p === n || p.endsWith(`.${n}`));
}

/** target_modules as PEFT reads it; `allLinear` is the set "all-linear" expands to. */
export function targetMatcher(cfg: AdapterConfig, allLinear: ReadonlySet<string>): ModuleMatcher | null {
  const t = cfg.targetModules;
  if (t === null) return null;
  if (t === 'all-linear') return (p) => allLinear.has(p);
  if (typeof t === 'string') {
    const re = compilePythonRegex(t, `${cfg.file}: target_modules`, 'fullmatch');
    return (p) => re.test(p);
  }
  const byName = listMatcher(t);
  const layers = cfg.layersToTransform;
  if (layers === null) return byName;
  const layerOf = layerIndexParser(cfg.layersPattern);
  return (p) => {
    if (!byName(p)) return false;
    const idx = layerOf(p);
    return idx !== null && layers.includes(idx);
  };
}

export function excludeMatcher(cfg: AdapterConfig): ModuleMatcher {
  const e = cfg.excludeModules;
  if (e === null) return () => false;
  if (typeof e === 'string') {
    const re = compilePythonRegex(e, `${cfg.file}: exclude_modules`, 'fullmatch');
    return (p) => re.test(p);
  }
  return listMatcher(e);
}

/** Layer index of a module path the way PEFT finds it (greedy `.*\.<pattern>\.(\d+)\.`). */
export function layerIndexParser(layersPattern: readonly string[] | null): (modulePath: string) => number | null {
  const res =
    layersPattern === null || layersPattern.length === 0
      ? [/^.*\.[^.]*\.(\d+)\./]
      : layersPattern.map((p) => new RegExp(`^.*\\.${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)\\.`));
  return (modulePath) => {
    for (const re of res) {
      const m = re.exec(modulePath);
      if (m) return Number(m[1]);
    }
    return null;
  };
}

/** First pattern, in dict order, whose `^(.*\.)?(pattern)$` matches the module path. */
export function patternLookup(patterns: readonly [string, number][], key: string): (modulePath: string) => number | null {
  const compiled = patterns.map(([p, v]) => [compilePythonRegex(p, `${key} key '${p}'`, 'suffix'), v] as const);
  return (modulePath) => {
    for (const [re, v] of compiled) if (re.test(modulePath)) return v;
    return null;
  };
}

/** Per-module rank, alpha and PEFT scaling. */
export function scalingResolver(cfg: AdapterConfig): (modulePath: string) => { rank: number; alpha: number; scaling: number } {
  const rankOf = patternLookup(cfg.rankPattern, `${cfg.file}: rank_pattern`);
  const alphaOf = patternLookup(cfg.alphaPattern, `${cfg.file}: alpha_pattern`);
  return (p) => {
    const rank = rankOf(p) ?? cfg.r;
    const alpha = alphaOf(p) ?? cfg.loraAlpha;
    return { rank, alpha, scaling: cfg.useRslora ? alpha / Math.sqrt(rank) : alpha / rank };
  };
}
