/**
 * Nulls of the adapter's own strength, measured on the demo fixtures: the demo suite
 * (null_adapter with 6 seeds x [0.5, 1, 2] rank multipliers, delta_kl, adapter_ablation)
 * on the trained adapter, the random fixture adapter and a random adapter with the trained
 * adapter's per-module strength, under strength-matched nulls (default) and the reference's
 * init-scale nulls. Prints composite, band, delta_kl z and the null spread per rank; then
 * delta_kl z of ten strength-matched random adapters (seeds 1..10) against the default nulls.
 *
 *   npm run build && node dist/bench/null-strength.js
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NullStat } from '../src/core/results.js';
import { writeTinyFixtures } from '../src/engine/fixtures/tiny-suite.js';
import { demoSpecYaml } from '../src/suite/demo-specs.js';
import { executeSpec, loadSpecText } from '../src/suite/execute.js';
import { checkOutcome } from '../src/cli/commands/check-outcome.js';
import { writeStrengthMatchedRandom } from '../src/engine/fixtures/strength-matched.js';

const root = mkdtempSync(join(tmpdir(), 'sway-null-strength-'));
const fx = writeTinyFixtures(join(root, 'fixtures'));
const matched = join(root, 'adapters', 'strength-matched-random');
writeStrengthMatchedRandom(fx.trained, matched, 1);

const rows: string[] = [];
for (const family of ['matched', 'init'] as const) {
  for (const [label, adapter] of [['trained', fx.trained], ['random', fx.random], ['strength-matched random', matched]] as const) {
    let text = demoSpecYaml(fx.base, adapter);
    if (family === 'init') text = text.replace('    cache: false\n', '    cache: false\n    null_scale: init\n');
    const { suite, score } = await executeSpec(loadSpecText(text, 'bench.yaml', root));
    const dk = suite.probes.find((p) => p.kind === 'delta_kl')!;
    const abl = suite.probes.find((p) => p.kind === 'adapter_ablation')!;
    const nul = suite.probes.find((p) => p.kind === 'null_adapter')!;
    const byRank = nul.evidence['null_stats_by_rank'] as Record<string, Record<string, NullStat>>;
    const spread = Object.entries(byRank).map(([k, s]) => `${k.replace('rank_', '')}x:${s['delta_kl']?.std.toExponential(2)}`).join(' ');
    const outcome = checkOutcome(suite);
    rows.push(
      `${family.padEnd(7)} ${label.padEnd(24)} composite=${score.overall.toFixed(3)} band=${score.band.padEnd(9)} delta_kl raw=${dk.raw?.toFixed(4)} z=${dk.z_score?.toFixed(2)} (${dk.verdict}) ` +
        `tail=${String(dk.evidence['tail_fraction'])} ablation=${abl.verdict} check_exit=${outcome.exitCode} | null std ${spread}`,
    );
    process.stderr.write(`${rows.at(-1)}\n`);
  }
}
const zs: number[] = [];
for (let seed = 1; seed <= 10; seed++) {
  const dir = join(root, 'adapters', `strength-matched-random-${seed}`);
  writeStrengthMatchedRandom(fx.trained, dir, seed);
  const { suite, score } = await executeSpec(loadSpecText(demoSpecYaml(fx.base, dir), 'bench.yaml', root));
  const dk = suite.probes.find((p) => p.kind === 'delta_kl')!;
  zs.push(dk.z_score ?? NaN);
  rows.push(`matched strength-matched random seed ${String(seed).padStart(2)}: delta_kl z=${dk.z_score?.toFixed(2)} composite=${score.overall.toFixed(3)} band=${score.band}`);
}
rows.push(`strength-matched random, 10 seeds: |z| < 3 in ${zs.filter((z) => Math.abs(z) < 3).length}/10, z range [${Math.min(...zs).toFixed(2)}, ${Math.max(...zs).toFixed(2)}]`);
process.stdout.write(`${rows.join('\n')}\n`);
