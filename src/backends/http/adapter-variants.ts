/**
 * Scaled and null variants of the real PEFT adapter, as slots and as PEFT folders a
 * server can load. Null slots come from the engine's own null drawing, so a remote null
 * view holds the same bits as the local one for the same seed. PEFT scales each branch
 * by its own `scaling`; a variant whose drawn slot carries another scaling folds the ratio
 * into B so the written folder keeps the original adapter_config.json.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AdapterError } from '../../core/errors.js';
import type { ViewSelector } from '../../core/views.js';
import { loadAdapter } from '../../engine/adapter/load.js';
import { nullAdapterSlots } from '../../engine/adapter/null.js';
import type { LoadedAdapter, LoraSlot } from '../../engine/adapter/types.js';
import { checkArchAgainstWeights, loadArch } from '../../engine/config.js';
import { familyTraits } from '../../engine/families.js';
import { withLegacyNames } from '../../engine/legacy-names.js';
import { adapterBaseModel, resolveModelDir } from '../../engine/resolve.js';
import { SafetensorsSource } from '../../engine/safetensors/reader.js';
import { writeSafetensors, type TensorToWrite } from '../../engine/safetensors/writer.js';
import type { ArchSpec, WeightSource } from '../../engine/types.js';
import { viewId } from '../../engine/views.js';

export type VariantView = Exclude<ViewSelector, { kind: 'base' }>;

/** A base checkpoint that is not on this machine: config only, no tensors. */
class NoWeights implements WeightSource {
  constructor(readonly description: string) {}
  names(): string[] {
    return [];
  }
  has(): boolean {
    return false;
  }
  shape(name: string): number[] {
    throw new AdapterError(`${this.description}: base tensor '${name}' is needed (modules_to_save) but the base weights are not on this machine`);
  }
  dtype(name: string): never {
    throw new AdapterError(`${this.description}: base tensor '${name}' is needed but the base weights are not on this machine`);
  }
  readF32(name: string): never {
    throw new AdapterError(`${this.description}: base tensor '${name}' is needed but the base weights are not on this machine`);
  }
  close(): void {}
}

export interface AdapterWithArch {
  adapter: LoadedAdapter;
  arch: ArchSpec;
}

/**
 * Loads a PEFT adapter against the base model's architecture. `localBase` (or the adapter's
 * base_model_name_or_path) must hold config.json; the base weights are read only when present.
 */
export function loadAdapterWithArch(adapterDir: string, localBase: string | null): AdapterWithArch {
  const ref = localBase ?? adapterBaseModel(adapterDir);
  if (!ref) {
    throw new AdapterError(`${adapterDir}/adapter_config.json has no base_model_name_or_path — set local_base: (a directory with the base model's config.json) on the model entry`);
  }
  const baseDir = resolveModelDir(ref);
  const arch = loadArch(baseDir);
  const hasWeights = existsSync(join(baseDir, 'model.safetensors')) || existsSync(join(baseDir, 'model.safetensors.index.json'));
  // Read as the engine reads the base: legacy prefixes and a checkpoint saved without the family root.
  const opened: WeightSource = hasWeights ? withLegacyNames(SafetensorsSource.openDir(baseDir), familyTraits(arch.family).legacyPrefixes) : new NoWeights(baseDir);
  try {
    const weights = hasWeights ? checkArchAgainstWeights(arch, opened, baseDir) : opened;
    return { adapter: loadAdapter(adapterDir, arch, weights), arch };
  } finally {
    opened.close();
  }
}

/** The slots of a view: ft as loaded, scaled by lambda (B and its bias), or a seeded null draw. */
export function variantSlots(adapter: LoadedAdapter, view: VariantView): LoraSlot[] {
  const real = adapter.slots;
  if (view.kind === 'ft') return real.map((s) => ({ ...s }));
  if (view.kind === 'scaled') {
    if (!Number.isFinite(view.lambda)) throw new AdapterError(`scale must be a finite number, got ${view.lambda}`);
    return real.map((s) => ({ ...s, b: scale(s.b, view.lambda), bBias: s.bBias ? scale(s.bBias, view.lambda) : null }));
  }
  const drawn = nullAdapterSlots(real, view.seed, { initScale: view.initScale ?? 0.02, rankScale: view.rankScale ?? 1 });
  return drawn.map((s, i) => {
    const ratio = s.scaling / (real[i] as LoraSlot).scaling;
    return ratio === 1 ? s : { ...s, b: scale(s.b, ratio), scaling: (real[i] as LoraSlot).scaling };
  });
}

function scale(x: Float32Array, k: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] as number) * k;
  return out;
}

const PREFIX = 'base_model.model.';
const SUFFIXES: [string, 'a' | 'b' | 'bBias'][] = [
  ['.lora_A.weight', 'a'],
  ['.lora_B.weight', 'b'],
  ['.lora_B.bias', 'bBias'],
  ['.lora_embedding_A', 'a'],
  ['.lora_embedding_B', 'b'],
];

/**
 * Writes the variant as a PEFT folder (adapter_config.json copied, adapter_model.safetensors
 * with the variant's A/B; every other tensor, e.g. modules_to_save, copied unchanged).
 * The folder appears atomically: written beside, then renamed into place.
 */
export function writePeftVariant(adapter: LoadedAdapter, view: VariantView, outDir: string): void {
  const slots = variantSlots(adapter, view);
  const byModule = new Map(slots.map((s) => [s.modulePath, s]));
  const src = SafetensorsSource.openFile(join(adapter.dir, 'adapter_model.safetensors'));
  const tensors: TensorToWrite[] = [];
  try {
    for (const name of src.names()) {
      const rel = name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name;
      const hit = SUFFIXES.find(([s]) => rel.endsWith(s));
      const slot = hit ? byModule.get(rel.slice(0, -hit[0].length)) : undefined;
      const data = slot && hit ? (slot[hit[1]] as Float32Array) : src.readF32(name);
      tensors.push({ name, dtype: 'F32', shape: src.shape(name), data });
    }
  } finally {
    src.close();
  }
  mkdirSync(dirname(outDir), { recursive: true });
  const tmp = `${outDir}.${process.pid}.${Date.now()}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    writeFileSync(join(tmp, 'adapter_config.json'), readFileSync(join(adapter.dir, 'adapter_config.json')));
    writeSafetensors(join(tmp, 'adapter_model.safetensors'), tensors, { format: 'pt', sway_view: viewId(view) });
    rmSync(outDir, { recursive: true, force: true });
    renameSync(tmp, outDir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** True when `dir` holds a complete PEFT folder (both files). */
export function isPeftFolder(dir: string): boolean {
  try {
    const names = readdirSync(dir);
    return names.includes('adapter_config.json') && names.includes('adapter_model.safetensors');
  } catch {
    return false;
  }
}
