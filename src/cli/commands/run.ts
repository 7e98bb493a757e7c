import type { Command } from 'commander';
import { probeRegistry } from '../../suite/deps.js';
import { loadSpecFile, validateSpecProbes } from '../../suite/execute.js';
import { parseWeightsFlag } from '../../suite/score.js';
import { runPipeline } from '../shared/execute.js';
import { colorEnabled, printTerminal, writeReports } from '../shared/render.js';

interface RunFlags {
  json?: string;
  markdown?: string;
  junit?: string;
  html?: string;
  weights?: string;
  quiet?: boolean;
  dryRun?: boolean;
  color?: boolean;
}

async function dryRun(specPath: string): Promise<void> {
  const spec = await loadSpecFile(specPath);
  await validateSpecProbes(spec);
  const registry = await probeRegistry();
  const rows = spec.suite.map((raw, i) => {
    const { probe, spec: ps } = registry.buildProbe(raw);
    return [String(i + 1), ps.name, probe.kind, registry.categoryOf(probe.kind) || '?', ps.enabled === false ? 'no' : 'yes'];
  });
  const header = ['#', 'name', 'kind', 'category', 'enabled'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  process.stdout.write(`dry-run for ${specPath} \u2014 ${rows.length} probe(s)\n\n${[header, ...rows].map(line).join('\n')}\n`);
}

/** `sway run SPEC`: execute a suite and print the report. */
export function register(program: Command): void {
  program
    .command('run')
    .description('run a sway.yaml suite and print the report (verdicts never change the exit code; use gate for CI)')
    .argument('<spec>', 'path to sway.yaml')
    .option('-j, --json <file>', 'also write the JSON report (report.json shape, schema_version 1)')
    .option('-m, --markdown <file>', 'also write a Markdown report')
    .option('--junit <file>', 'also write a JUnit XML report')
    .option('--html <file>', 'also write a self-contained HTML report with plots')
    .option('--weights <pairs>', 'category weights, e.g. "attribution=0.5,adherence=0.2" (partial: others keep defaults)')
    .option('-q, --quiet', 'no progress output on stderr')
    .option('--dry-run', 'validate the spec and list the probes without loading any model')
    .option('--no-color', 'plain output (also: NO_COLOR=1)')
    .addHelpText(
      'after',
      `
Examples:
  sway run sway.yaml
  sway run sway.yaml --json report.json --html report.html
  sway run sway.yaml --weights attribution=0.5,adherence=0.2 --quiet
  sway run sway.yaml --dry-run`,
    )
    .action(async (specPath: string, flags: RunFlags) => {
      if (flags.dryRun) {
        parseWeightsFlag(flags.weights);
        await dryRun(specPath);
        return;
      }
      const { suite, score } = await runPipeline(specPath, { ...(flags.weights !== undefined ? { weights: flags.weights } : {}), quiet: !!flags.quiet });
      printTerminal(suite, score, colorEnabled(flags.color === false));
      writeReports(suite, score, {
        ...(flags.json ? { json: flags.json } : {}),
        ...(flags.markdown ? { markdown: flags.markdown } : {}),
        ...(flags.junit ? { junit: flags.junit } : {}),
        ...(flags.html ? { html: flags.html } : {}),
      });
    });
}
