/**
 * Command benchmark: a baseline build and this build, side by side, on bench/engine's
 * SmolLM2-135M-shaped random checkpoint (rank-8 LoRA on 7 projections; SWAY_BENCH_SHAPE=360m for
 * SmolLM2-360M's shape). Runs
 * `sway check ADAPTER --base BASE` and a 6-probe suite (null_adapter runs 3, delta_kl,
 * adapter_ablation, preference_flip, external_perplexity, calibration_drift), interleaved
 * (baseline, current, baseline, current), best of N; prints wall seconds, peak RSS
 * (/usr/bin/time -f %M) and the current/baseline ratios, with the load average around
 * each run because the machine may be shared.
 *
 *   npm run build && node dist/bench/commands.js --baseline /tmp/base [--reps 2] [--warm] [--only check|suite]
 *
 * The baseline is another checkout of sway, already built (`npm ci && npm run build`).
 * The checkpoint, and before every run the previous run's leftovers (a warm-start entry a
 * detached child is still syncing), are synced to disk first. Every run gets fresh null-stat
 * and engine cache directories unless `--warm` is given
 * (then each build keeps one cache directory across its runs, so from the second run on
 * the current build loads from its warm-start cache).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/engine's checkpoint shape (`SWAY_BENCH_SHAPE`, passed on to its writer through the environment). */
const SHAPE_LABEL = `SmolLM2-${(process.env.SWAY_BENCH_SHAPE ?? '135m').toUpperCase()}`;

interface Measure {
  wall: number;
  rssKb: number;
  load: number;
  code: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const PROMPTS = ['The capital of France is', 'Once upon a time', 'The best way to learn is', 'In the morning I', 'Water boils at', 'My favourite colour is'];

function suiteYaml(base: string, adapter: string): string {
  const triples = [
    ['The sky is', ' blue', ' green'],
    ['Two plus two is', ' four', ' five'],
    ['Fire is', ' hot', ' cold'],
    ['Ice is', ' cold', ' hot'],
  ];
  return [
    'version: 1',
    'models:',
    `  base: {kind: hf, base: ${JSON.stringify(base)}}`,
    `  ft: {kind: hf, base: ${JSON.stringify(base)}, adapter: ${JSON.stringify(adapter)}}`,
    'suite:',
    '  - {name: nulls, kind: null_adapter, runs: 3, cache: false}',
    `  - {name: dk, kind: delta_kl, prompts: ${JSON.stringify(PROMPTS)}}`,
    `  - {name: abl, kind: adapter_ablation, prompts: ${JSON.stringify(PROMPTS)}}`,
    '  - name: pf',
    '    kind: preference_flip',
    '    triples:',
    ...triples.map(([p, c, r]) => `      - {prompt: ${JSON.stringify(p)}, chosen: ${JSON.stringify(c)}, rejected: ${JSON.stringify(r)}}`),
    '  - {name: ppl, kind: external_perplexity}',
    '  - {name: cal, kind: calibration_drift}',
    '',
  ].join('\n');
}

function runOnce(build: string, args: string[], cacheRoot: string): Measure {
  // Start every run on a quiet disk: the previous run's warm-start entry may still be syncing
  // in its detached child (by design it outlives the command), and that writeback would slow
  // whichever run comes next.
  spawnSync('sync', [], { stdio: 'ignore' });
  const env = { ...process.env, XDG_CACHE_HOME: cacheRoot, SWAY_NULL_CACHE_DIR: join(cacheRoot, 'nulls'), NO_COLOR: '1' };
  const load = loadavg()[0] as number;
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, join(build, 'bin/sway.js'), ...args], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const wall = (performance.now() - t) / 1000;
  const lines = (r.stderr ?? '').trim().split('\n');
  const rssKb = Number(lines[lines.length - 1]);
  const code = r.status ?? -1;
  if (code !== 0 && !(args[0] === 'check' && code === 1)) process.stderr.write(`  ${build}: sway ${args[0]} exited ${code}\n${(r.stderr ?? '').slice(-2000)}\n`);
  return { wall, rssKb, load, code };
}

function main(): void {
  const baseline = arg('--baseline');
  if (!baseline || !existsSync(join(baseline, 'dist/src/cli/main.js'))) {
    process.stderr.write('usage: node dist/bench/commands.js --baseline DIR  (DIR: a built sway checkout)\n');
    process.exitCode = 2;
    return;
  }
  const reps = Number(arg('--reps') ?? 2);
  const warm = process.argv.includes('--warm');
  const current = resolve(fileURLToPath(new URL('../..', import.meta.url)));
  const builds = [
    { label: 'baseline', dir: resolve(baseline) },
    { label: 'current', dir: current },
  ];
  const root = mkdtempSync(join(tmpdir(), 'sway-bench-cmd-'));
  try {
    process.stderr.write(`writing the ${SHAPE_LABEL}-shaped checkpoint ...\n`);
    const w = spawnSync(process.execPath, [join(current, 'dist/bench/engine.js'), '--write-model', root], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    if (w.status !== 0) throw new Error('writing the checkpoint failed');
    const params = Number(w.stdout.trim());
    // Flush the checkpoint just written, so its writeback does not compete with the first
    // runs' disk work (a real checkpoint was downloaded long before it is tested).
    spawnSync('sync', [], { stdio: 'ignore' });
    const base = join(root, 'base');
    const adapter = join(root, 'lora');
    const suite = join(root, 'suite.yaml');
    writeFileSync(suite, suiteYaml(base, adapter));
    const only = arg('--only');
    const commands = [
      { key: 'check', label: 'sway check', args: ['check', adapter, '--base', base, '--quiet'] },
      { key: 'suite', label: '6-probe suite', args: ['run', suite, '--quiet'] },
    ].filter((c) => !only || c.key === only);
    const results = new Map<string, Measure[]>();
    let n = 0;
    for (let rep = 0; rep < reps; rep++) {
      for (const c of commands) {
        for (const b of builds) {
          const cache = warm ? join(root, `cache-${b.label}`) : join(root, `cache-${n++}`);
          mkdirSync(cache, { recursive: true });
          process.stderr.write(`rep ${rep + 1}/${reps}: ${b.label} ${c.label} ...`);
          const m = runOnce(b.dir, c.args, cache);
          process.stderr.write(` ${m.wall.toFixed(1)} s, ${(m.rssKb / 1024).toFixed(0)} MB, load ${m.load.toFixed(2)}\n`);
          const key = `${c.label}|${b.label}`;
          results.set(key, [...(results.get(key) ?? []), m]);
        }
      }
    }
    const best = (k: string) => {
      const ms = results.get(k) ?? [];
      return { wall: Math.min(...ms.map((m) => m.wall)), rss: Math.min(...ms.map((m) => m.rssKb)), loads: ms.map((m) => m.load.toFixed(1)).join('/') };
    };
    const rows = ['| command | baseline s | current s | wall ratio | baseline RSS MB | current RSS MB | RSS ratio | load avg (1 min) at each run b/c |', '|---|---:|---:|---:|---:|---:|---:|---|'];
    for (const c of commands) {
      const b = best(`${c.label}|baseline`);
      const k = best(`${c.label}|current`);
      rows.push(
        `| ${c.label} | ${b.wall.toFixed(1)} | ${k.wall.toFixed(1)} | ${(k.wall / b.wall).toFixed(2)} | ${(b.rss / 1024).toFixed(0)} | ${(k.rss / 1024).toFixed(0)} | ${(k.rss / b.rss).toFixed(2)} | ${b.loads} / ${k.loads} |`,
      );
    }
    const weightMb = (params * 4) / 2 ** 20;
    process.stdout.write(
      `\nsway command benchmark — ${SHAPE_LABEL} shape (${(params / 1e6).toFixed(1)}M params, fp32 weights ${weightMb.toFixed(0)} MB), best of ${reps}, interleaved${warm ? ', warm caches' : ', cold caches'}\n` +
        `baseline ${builds[0]!.dir}, current ${current}; load average now ${loadavg().map((v) => v.toFixed(2)).join(' ')}\n\n${rows.join('\n')}\n\n` +
        `RSS budget (fp32 weights x 1.3 + 200 MB): ${(weightMb * 1.3 + 200).toFixed(0)} MB\n`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main();
