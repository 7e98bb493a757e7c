import type { Command } from 'commander';
import pc from 'picocolors';
import { toFixedPy } from '../../report/format.js';
import { colorEnabled } from '../shared/render.js';
import { readReportFile } from './report.js';

const signed = (d: number): string => `${d >= 0 ? '+' : ''}${toFixedPy(d, 2)}`;

/** `sway diff A.json B.json`: per-probe score change between two saved reports. */
export function register(program: Command): void {
  program
    .command('diff')
    .description('per-probe score change between two saved JSON reports (A → B) with regression counts')
    .argument('<a>', 'report.json of run A (e.g. the previous adapter)')
    .argument('<b>', 'report.json of run B (e.g. the new adapter)')
    .option('--no-color', 'plain output')
    .addHelpText('after', '\nExample:\n  sway diff runs/v1.json runs/v2.json')
    .action((a: string, b: string, flags: { color?: boolean }) => {
      const c = pc.createColors(colorEnabled(flags.color === false));
      const A = readReportFile(a);
      const B = readReportFile(b);
      const map = (r: typeof A): Map<string, number> => new Map(r.suite.probes.map((p) => [p.name, typeof p.score === 'number' ? p.score : 0]));
      const ma = map(A);
      const mb = map(B);
      const names = [...new Set([...ma.keys(), ...mb.keys()])].sort();
      const L = [`overall  A: ${toFixedPy(A.score.overall, 2)}   B: ${toFixedPy(B.score.overall, 2)}`, '', 'per-probe (A \u2192 B, \u0394):'];
      let small = 0;
      let large = 0;
      for (const n of names) {
        const va = ma.get(n) ?? 0;
        const vb = mb.get(n) ?? 0;
        const d = vb - va;
        if (d < -0.1) small++;
        if (d < -0.2) large++;
        L.push(`  ${n.padEnd(30)}  ${toFixedPy(va, 2)}  \u2192  ${toFixedPy(vb, 2)}   (${signed(d)})`);
      }
      const cd = B.score.overall - A.score.overall;
      const summary = `A\u2192B: ${small} probe(s) regressed >0.10, ${large} regressed >0.20, composite \u0394=${signed(cd)}`;
      const style = cd > 0 ? c.green : small > 0 && cd < 0 ? c.red : small > 0 ? c.yellow : c.dim;
      L.push('', style(summary));
      process.stdout.write(`${L.join('\n')}\n`);
    });
}
