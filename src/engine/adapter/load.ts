/**
 * loadAdapter: reads a PEFT LoRA adapter directory (adapter_config.json +
 * adapter_model.safetensors), checks it against the base model and normalises it into a
 * LoadedAdapter. The adapted modules come from the tensor keys; the config supplies
 * scaling, DoRA/bias flags, saved modules and trainable tokens, and is cross-checked.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { AdapterError, SwayError } from '../../core/errors.js';
import { openSafetensorsSource } from '../safetensors/source.js';
import type { ArchSpec, WeightSource } from '../types.js';
import { parseAdapterConfig, type AdapterConfig } from './config.js';
import { classifyKeys, type LoraPart } from './keys.js';
import { baseModuleSize, linearModulePaths, loraCandidatePaths, LM_HEAD_PATH, slotOrder, slotTargetOf } from './modules.js';
import { applyWeightTying, loadOverrides, loadTrainableTokens, type TensorReader } from './saved-modules.js';
import { excludeMatcher, scalingResolver, targetMatcher } from './selection.js';
import type { LoadedAdapter, LoraSlot } from './types.js';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

export interface LoadAdapterOptions {
  arch: ArchSpec;
  baseWeights: WeightSource;
}

function shapeText(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

function countNonFinite(data: Float32Array): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) n++;
  return n;
}

function requireFiles(dir: string): { configFile: string; weightsFile: string } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new AdapterError(`${dir}: adapter directory not found; pass the folder that holds ${ADAPTER_CONFIG} and ${ADAPTER_WEIGHTS}.`);
  }
  const configFile = path.join(dir, ADAPTER_CONFIG);
  const weightsFile = path.join(dir, ADAPTER_WEIGHTS);
  if (!existsSync(configFile)) throw new AdapterError(`${dir}: no ${ADAPTER_CONFIG}; this is not a PEFT adapter directory (save it with PEFT's save_pretrained).`);
  if (!existsSync(weightsFile)) {
    const legacy = existsSync(path.join(dir, 'adapter_model.bin'));
    throw new AdapterError(
      legacy
        ? `${dir}: only adapter_model.bin (pickled torch) was found; sway reads ${ADAPTER_WEIGHTS} only — convert it with PEFT (model.save_pretrained(dir, safe_serialization=True)).`
        : `${dir}: no ${ADAPTER_WEIGHTS}; save the adapter with PEFT's save_pretrained.`,
      legacy ? 'SWAY_ADAPTER_UNSUPPORTED' : 'SWAY_ADAPTER_INVALID',
    );
  }
  return { configFile, weightsFile };
}

function readConfig(configFile: string, bytes: Buffer): AdapterConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new AdapterError(`${configFile}: not valid JSON (${(err as Error).message}); fix or re-save the file.`);
  }
  return parseAdapterConfig(raw, configFile);
}

/** Errors if target_modules selects nothing in the base; warns about tensor modules the config does not select. */
function crossCheckTargets(cfg: AdapterConfig, arch: ArchSpec, adapted: readonly string[], warnings: string[]): void {
  const linear = linearModulePaths(arch);
  const allLinear = new Set(linear.filter((p) => p !== LM_HEAD_PATH));
  const target = targetMatcher(cfg, allLinear);
  if (target === null) return;
  const exclude = excludeMatcher(cfg);
  const selected = new Set(loraCandidatePaths(arch).filter((p) => target(p) && !exclude(p)));
  if (selected.size === 0) {
    const names = [...new Set(linear.map((p) => p.slice(p.lastIndexOf('.') + 1)))];
    throw new AdapterError(
      `${cfg.file}: target_modules ${JSON.stringify(cfg.targetModules)} matches no module of the base model ` +
        `(after exclude_modules / layers_to_transform). Its linear modules are: ${names.join(', ')} (e.g. ${linear[0] ?? LM_HEAD_PATH}); ` +
        'the adapter was trained for a different architecture — pass the matching base model.',
    );
  }
  const unselected = adapted.filter((p) => !selected.has(p));
  if (unselected.length > 0) {
    warnings.push(
      `${cfg.file}: ${unselected.length} module(s) carry LoRA tensors but target_modules/exclude_modules/layers_to_transform do not select them; ` +
        `they are applied anyway: ${unselected.join(', ')}`,
    );
  }
}

function buildSlot(
  modulePath: string,
  parts: Partial<Record<LoraPart, string>>,
  cfg: AdapterConfig,
  opts: LoadAdapterOptions,
  reader: TensorReader,
  scalingOf: ReturnType<typeof scalingResolver>,
): LoraSlot {
  const { arch, baseWeights } = opts;
  const file = cfg.file;
  const target = slotTargetOf(modulePath, arch);
  const anyKey = Object.values(parts)[0]!;
  if (target === null) {
    const names = [...new Set(linearModulePaths(arch).map((p) => p.slice(p.lastIndexOf('.') + 1)))];
    throw new AdapterError(
      `${file}: tensor '${anyKey}' adapts module '${modulePath}', which the base model does not have ` +
        `(its linear modules: ${names.join(', ')}, plus model.embed_tokens); pass the base model the adapter was trained on.`,
    );
  }
  const isEmbed = target.scope === 'embed_tokens';
  const aKey = isEmbed ? parts.embA : parts.a;
  const bKey = isEmbed ? parts.embB : parts.b;
  if (aKey === undefined || bKey === undefined) {
    const want = isEmbed ? ['lora_embedding_A', 'lora_embedding_B'] : ['lora_A.weight', 'lora_B.weight'];
    throw new AdapterError(`${file}: module '${modulePath}' has ${anyKey} but not both ${want.join(' and ')}; the adapter file is incomplete — re-save it.`);
  }
  const { rank, scaling } = scalingOf(modulePath);
  const size = baseModuleSize(target, modulePath, arch, baseWeights);
  const check = (key: string, expected: number[], why: string): void => {
    const found = reader.shape(key);
    if (shapeText(found) !== shapeText(expected)) {
      throw new AdapterError(`${file}: tensor '${key}' has shape ${shapeText(found)}, expected ${shapeText(expected)} (${why}); the adapter does not fit this base model or config.`);
    }
  };
  const rankWhy = `rank ${rank} from adapter_config.json r/rank_pattern`;
  check(aKey, [rank, size.in], `${rankWhy}, base ${modulePath} input ${size.in}`);
  check(bKey, [size.out, rank], `base ${modulePath} output ${size.out}, ${rankWhy}`);
  let magnitude: Float32Array | null = null;
  if (parts.magnitude !== undefined) {
    if (!cfg.useDora) throw new AdapterError(`${file}: tensor '${parts.magnitude}' is a DoRA magnitude but use_dora is false; set use_dora: true or re-save the adapter.`);
    if (isEmbed) throw new AdapterError(`${file}: DoRA on the input embedding (${modulePath}) is not supported; train DoRA on linear modules only.`, 'SWAY_ADAPTER_UNSUPPORTED');
    check(parts.magnitude, [size.out], `one magnitude per output row of ${modulePath}`);
    magnitude = reader.read(parts.magnitude);
  } else if (cfg.useDora && !isEmbed) {
    throw new AdapterError(`${file}: use_dora is true but module '${modulePath}' has no lora_magnitude_vector; re-save the adapter.`);
  }
  let bBias: Float32Array | null = null;
  if (parts.bBias !== undefined) {
    if (!cfg.loraBias) throw new AdapterError(`${file}: tensor '${parts.bBias}' is a LoRA B bias but lora_bias is false; set lora_bias: true or re-save the adapter.`);
    check(parts.bBias, [size.out], `one bias per output row of ${modulePath}`);
    bBias = reader.read(parts.bBias);
  } else if (cfg.loraBias && !isEmbed) {
    throw new AdapterError(`${file}: lora_bias is true but module '${modulePath}' has no lora_B.bias; re-save the adapter.`);
  }
  return {
    modulePath,
    target,
    rank,
    inFeatures: size.in,
    outFeatures: size.out,
    scaling,
    a: reader.read(aKey),
    b: reader.read(bKey),
    bBias,
    magnitude,
  };
}

export function loadAdapter(adapterDir: string, opts: LoadAdapterOptions): LoadedAdapter {
  const dir = path.resolve(adapterDir);
  const { configFile, weightsFile } = requireFiles(dir);
  const configBytes = readFileSync(configFile);
  const cfg = readConfig(configFile, configBytes);
  const warnings = [...cfg.warnings];
  if (cfg.fanInFanOut) {
    warnings.push(`${configFile}: fan_in_fan_out is true but the targets are nn.Linear ([out, in]); PEFT resets it to false, and so does sway.`);
  }
  const weightBytes = readFileSync(weightsFile);
  const contentHash = createHash('sha256').update(configBytes).update(weightBytes).digest('hex');

  let source: WeightSource;
  try {
    source = openSafetensorsSource(weightsFile);
  } catch (err) {
    if (err instanceof SwayError) throw new AdapterError(`${err.message} (adapter weights; re-save the adapter)`);
    throw err;
  }
  try {
    const nonFiniteTensors: string[] = [];
    const reader: TensorReader = {
      shape: (key) => source.shape(key),
      read: (key) => {
        const data = source.readF32(key);
        if (countNonFinite(data) > 0) nonFiniteTensors.push(key);
        return data;
      },
    };
    const keys = classifyKeys(source.names(), weightsFile);
    const adaptedPaths = [...keys.lora.keys()];
    crossCheckTargets(cfg, opts.arch, adaptedPaths, warnings);
    const scalingOf = scalingResolver(cfg);
    const slots = adaptedPaths.map((p) => buildSlot(p, keys.lora.get(p)!, cfg, opts, reader, scalingOf));
    slots.sort((x, y) => slotOrder(x.target) - slotOrder(y.target));
    const overrides = loadOverrides(keys.saved, cfg, opts.arch, opts.baseWeights, reader, warnings);
    applyWeightTying(cfg, opts.arch, overrides, slots.filter((x) => x.target.scope !== 'layer').map((x) => x.modulePath));
    const trainableTokens = loadTrainableTokens(keys.tokenDeltas, cfg, opts.arch, opts.baseWeights, reader);
    if (slots.length === 0 && overrides.size === 0 && trainableTokens === null) {
      throw new AdapterError(`${weightsFile}: holds no LoRA tensors (lora_A/lora_B), saved modules or trainable tokens; it is not a usable adapter.`);
    }
    return {
      dir,
      contentHash,
      baseModelNameOrPath: cfg.baseModelNameOrPath,
      useDora: cfg.useDora,
      slots,
      overrides,
      trainableTokens,
      warnings,
      nonFiniteTensors,
    };
  } finally {
    source.close();
  }
}
