import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { loadAdapterWithArch, variantSlots, writePeftVariant, type VariantView } from '../../backends/http/adapter-variants.js';
import { writeLoraGguf } from '../../engine/gguf/lora.js';
import { convertModelToGguf } from '../../engine/gguf/model.js';
import { viewId } from '../../engine/views.js';

const TARGETS = ['gguf', 'peft', 'mlx'] as const;

function num(flag: string, v: string | undefined, check: (x: number) => boolean, want: string): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!check(x)) throw new UsageError(`${flag} must be ${want}, got '${v}'`);
  return x;
}

function refuseExisting(dst: string, overwrite: boolean | undefined): void {
  if (existsSync(dst) && !overwrite) throw new UsageError(`${dst} already exists; pass --overwrite to replace it`);
}

interface ConvertFlags {
  target: string;
  scale?: string;
  nullSeed?: string;
  rankMultiplier?: string;
  initScale?: string;
  base?: string;
  overwrite?: boolean;
}

/** The view a convert-adapter call writes: the adapter itself, scaled by λ, or a seeded null draw. */
export function variantFromFlags(flags: ConvertFlags): VariantView {
  const scale = num('--scale', flags.scale, Number.isFinite, 'a finite number');
  const seed = num('--null-seed', flags.nullSeed, (x) => Number.isInteger(x) && x >= 0, 'an integer >= 0');
  const rank = num('--rank-multiplier', flags.rankMultiplier, (x) => Number.isFinite(x) && x > 0, 'a finite number > 0');
  const init = num('--init-scale', flags.initScale, (x) => Number.isFinite(x) && x >= 0, 'a finite number >= 0');
  if (scale !== undefined && seed !== undefined) throw new UsageError('--scale and --null-seed are exclusive: a file holds one view');
  if (seed === undefined && (rank !== undefined || init !== undefined)) throw new UsageError('--rank-multiplier and --init-scale need --null-seed');
  if (seed !== undefined) return { kind: 'null', seed, ...(init !== undefined ? { initScale: init } : {}), rankScale: rank ?? 1 };
  if (scale !== undefined && scale !== 1) return { kind: 'scaled', lambda: scale };
  return { kind: 'ft' };
}

/** `sway convert-adapter` and `sway convert-model`: PEFT/HF checkpoints to what serving engines load. */
export function register(program: Command): void {
  program
    .command('convert-adapter')
    .description('convert a PEFT adapter (or a scaled or null variant of it) for a serving engine: a llama.cpp LoRA GGUF, or a PEFT folder (vLLM)')
    .argument('<src>', 'PEFT adapter directory (adapter_config.json + adapter_model.safetensors)')
    .argument('<dst>', 'output: a .gguf file (--target gguf) or a directory (--target peft)')
    .option('--target <target>', `output format: ${TARGETS.join(', ')}`, 'gguf')
    .option('--scale <lambda>', 'write the adapter scaled by lambda (the scaled_<lambda> view)')
    .option('--null-seed <n>', 'write the null adapter sway draws for this seed (the null_<n> view) instead of the real one')
    .option('--rank-multiplier <m>', 'null adapter rank multiplier (the null_<n>_rank<m> view)')
    .option('--init-scale <s>', 'null adapter init scale (default 0.02, as in null_adapter probes)')
    .option('--base <dir>', 'base model directory with config.json (default: the adapter\'s base_model_name_or_path)')
    .option('--overwrite', 'replace DST if it exists')
    .addHelpText(
      'after',
      '\nExamples:\n  sway convert-adapter ./adapter ./ft.gguf --base ./base\n  sway convert-adapter ./adapter ./null-0.gguf --null-seed 0\n  sway convert-adapter ./adapter ./adapters/scaled-0.5 --target peft --scale 0.5',
    )
    .action((src: string, dst: string, flags: ConvertFlags) => {
      if (!(TARGETS as readonly string[]).includes(flags.target)) throw new UsageError(`--target must be one of ${TARGETS.join(', ')}, got '${flags.target}'`);
      if (flags.target === 'mlx') throw new UsageError('--target mlx is not part of the TypeScript port (MLX runs on Apple silicon only); use --target gguf or peft');
      const view = variantFromFlags(flags);
      const out = resolve(dst);
      refuseExisting(out, flags.overwrite);
      const { adapter, arch } = loadAdapterWithArch(resolve(src), flags.base ? resolve(flags.base) : null);
      if (flags.target === 'peft') {
        writePeftVariant(adapter, view, out);
      } else {
        writeLoraGguf(out, variantSlots(adapter, view), arch, { name: `sway ${viewId(view)} of ${src}`, what: src });
      }
      process.stdout.write(`wrote ${out} (${viewId(view)}, ${flags.target})\n`);
    });

  program
    .command('convert-model')
    .description('convert a Hugging Face checkpoint (safetensors + tokenizer.json) to a llama.cpp GGUF model (F32)')
    .argument('<src>', 'model directory')
    .argument('<dst>', 'output .gguf file')
    .option('--target <target>', 'output format: gguf', 'gguf')
    .option('--overwrite', 'replace DST if it exists')
    .addHelpText('after', '\nExample:\n  sway convert-model ./fx/base ./base.gguf')
    .action((src: string, dst: string, flags: { target: string; overwrite?: boolean }) => {
      if (flags.target !== 'gguf') throw new UsageError(`--target must be gguf, got '${flags.target}'`);
      const out = resolve(dst);
      refuseExisting(out, flags.overwrite);
      const r = convertModelToGguf(resolve(src), out);
      process.stdout.write(`wrote ${out} (${r.tensors} tensors, F32)\n`);
    });
}
