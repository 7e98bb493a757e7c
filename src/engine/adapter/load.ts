/**
 * Loads a PEFT LoRA adapter directory into the normalised LoadedAdapter form: LoRA slots
 * with their scaling, lora_B biases, DoRA magnitudes, `modules_to_save` replacement
 * tensors, trainable token rows. Every shape is checked against the base model, every
 * tensor must be finite, and the config must describe the tensors the file holds.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AdapterError } from '../../core/errors.js';
import { weightName } from '../families.js';
import { adapterContentHash } from '../identity.js';
import { countNonFiniteF32 } from '../safetensors/dtype.js';
import { SafetensorsSource } from '../safetensors/reader.js';
import type { ArchSpec, WeightSource } from '../types.js';
import { matchPattern, matchesTarget, parseAdapterConfig, slotScaling, type AdapterConfig } from './config.js';
import { NON_TEXT_MODULES, refuseSlotTarget, refuseUnsupportedOptions } from './support.js';
import { baseLinearModules, checkTargets, slotFeatures, slotOrder, slotTargetOf } from './targets.js';
import { tieHeadLora } from './tied.js';
import type { LoadedAdapter, LoraSlot, OverrideTensors, TrainableTokens } from './types.js';

export { baseLinearModules, slotFeatures, slotTargetOf } from './targets.js';

/** Prefix PEFT puts before the base model's own module paths. */
const PREFIX = 'base_model.model.';
const TOKEN_DELTA = '.token_adapter.trainable_tokens_delta';

interface ModuleTensors {
  a?: string;
  b?: string;
  bBias?: string;
  magnitude?: string;
  embA?: string;
  embB?: string;
}

const SUFFIXES: [string, keyof ModuleTensors][] = [
  ['.lora_A.weight', 'a'],
  ['.lora_B.weight', 'b'],
  ['.lora_B.bias', 'bBias'],
  ['.lora_magnitude_vector', 'magnitude'],
  ['.lora_embedding_A', 'embA'],
  ['.lora_embedding_B', 'embB'],
];

/** The adapter files, the parsed config and the open tensor file, for the build steps. */
interface AdapterInput {
  dir: string;
  cfgFile: string;
  file: string;
  cfg: AdapterConfig;
  src: SafetensorsSource;
  arch: ArchSpec;
}

export function loadAdapter(dir: string, arch: ArchSpec, base: WeightSource): LoadedAdapter {
  const cfgFile = join(dir, 'adapter_config.json');
  if (!existsSync(cfgFile)) {
    throw new AdapterError(`${dir}: no adapter_config.json — pass a PEFT adapter directory (the output of save_pretrained)`, 'SWAY_MODEL_NOT_FOUND');
  }
  const weightsFile = join(dir, 'adapter_model.safetensors');
  if (!existsSync(weightsFile)) {
    const legacy = existsSync(join(dir, 'adapter_model.bin'));
    throw new AdapterError(
      legacy
        ? `${dir}: only adapter_model.bin (a pickle) is present; sway reads safetensors only — re-save the adapter with safe_serialization=True`
        : `${dir}: adapter_model.safetensors is missing`,
      legacy ? 'SWAY_ADAPTER_UNSUPPORTED' : 'SWAY_ADAPTER_INVALID',
    );
  }
  const cfg = parseAdapterConfig(cfgFile);
  refuseUnsupportedOptions(cfgFile, cfg);
  const src = SafetensorsSource.openFile(weightsFile);
  try {
    return build({ dir, cfgFile, file: weightsFile, cfg, src, arch }, base);
  } finally {
    src.close();
  }
}

function build(input: AdapterInput, base: WeightSource): LoadedAdapter {
  const { dir, cfgFile, file, cfg, src } = input;
  const sorted = sortTensors(src);
  const warnings: string[] = [];
  const slots = tieHeadLora(file, cfg, input.arch, buildSlots(input, sorted.modules, warnings));
  const missing = checkTargets(cfgFile, cfg, input.arch, slots);
  if (missing) warnings.push(missing);
  if (slots.length === 0 && cfg.targetModules !== null && !baseLinearModules(input.arch).some((m) => matchesTarget(cfg.targetModules, m.path, true))) {
    throw new AdapterError(`${cfgFile}: target_modules ${JSON.stringify(cfg.targetModules)} matches no module of the base model and ${file} holds no LoRA tensors — fix target_modules`);
  }
  if (slots.length === 0 && sorted.saved.length === 0 && !sorted.tokenDelta) throw new AdapterError(`${file}: the adapter holds no LoRA tensors`);
  const { overrides, baseTensors, ignored } = loadOverrides(input, base, sorted.saved);
  if (ignored.length > 0) {
    warnings.push(`${dir}: modules_to_save holds copies of modules a text-only forward never runs; they are loaded and ignored: ${ignored.join(', ')}`);
  }
  if (baseTensors.size > 0) {
    const names = [...baseTensors.keys()];
    warnings.push(
      `${file}: ${names.length} saved tensor(s) differ from the base checkpoint and replace it in every view, base included ` +
        `(PEFT loads base_layer copies and trained biases into the base model, so disabling the adapter keeps them): ${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''}`,
    );
  }
  const trainableTokens = sorted.tokenDelta ? loadTrainableTokens(input, sorted.tokenDelta) : null;
  return {
    dir,
    contentHash: adapterContentHash(dir),
    baseModelNameOrPath: cfg.baseModelNameOrPath,
    useDora: cfg.useDora,
    slots,
    overrides,
    baseTensors,
    trainableTokens,
    warnings,
    nonFinite: [],
  };
}

/** Step 1: sort the file's tensors into per-module LoRA parts, saved copies and the trainable-token delta. */
function sortTensors(src: SafetensorsSource): { modules: Map<string, ModuleTensors>; saved: string[]; tokenDelta: { key: string; module: string } | null } {
  const modules = new Map<string, ModuleTensors>();
  const saved: string[] = [];
  let tokenDelta: { key: string; module: string } | null = null;
  for (const key of src.names()) {
    const rel = key.startsWith(PREFIX) ? key.slice(PREFIX.length) : key;
    const suffix = SUFFIXES.find(([s]) => rel.endsWith(s));
    if (suffix) {
      const mod = rel.slice(0, -suffix[0].length);
      const entry = modules.get(mod) ?? {};
      entry[suffix[1]] = key;
      modules.set(mod, entry);
    } else if (rel.endsWith(TOKEN_DELTA)) {
      tokenDelta = { key, module: rel.slice(0, -TOKEN_DELTA.length) };
    } else {
      saved.push(key);
    }
  }
  return { modules, saved, tokenDelta };
}

/** Reads an adapter tensor as fp32; NaN/Inf is refused naming the file and the tensor. */
function readFinite(input: AdapterInput, key: string): Float32Array {
  const data = input.src.readF32(key);
  const bad = countNonFiniteF32(data);
  if (bad > 0) {
    throw new AdapterError(`${input.file}: tensor '${key}' holds ${bad} non-finite value(s) (NaN/Inf) — the adapter is broken; re-train or re-save it`);
  }
  return data;
}

function expectShape(file: string, key: string, got: number[], want: number[]): void {
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new AdapterError(
      `${file}: tensor '${key}' has shape [${got.join(', ')}] but the base model needs [${want.join(', ')}] — ` +
        'was this adapter trained on a different base model?',
      'SWAY_ADAPTER_INVALID',
    );
  }
}

/** Step 2: one LoRA slot per adapted module, shapes and ranks checked, in a fixed order. */
function buildSlots(input: AdapterInput, modules: Map<string, ModuleTensors>, warnings: string[]): LoraSlot[] {
  const { file, cfgFile, cfg, src, arch } = input;
  const slots: LoraSlot[] = [];
  let ignoredBias = 0;
  for (const [mod, t] of modules) {
    const target = slotTargetOf(arch, mod);
    if (!target) {
      throw new AdapterError(`${file}: LoRA on module '${mod}' is not supported (sway adapts attention/MLP projections, lm_head and embed_tokens)`, 'SWAY_ADAPTER_UNSUPPORTED');
    }
    if (target.scope === 'layer' && target.layer >= arch.numLayers) {
      throw new AdapterError(`${file}: module '${mod}' refers to layer ${target.layer} but the base model has ${arch.numLayers} layers`);
    }
    const [inF, outF] = slotFeatures(arch, target);
    const isEmb = target.scope === 'embed_tokens';
    const aKey = isEmb ? t.embA : t.a;
    const bKey = isEmb ? t.embB : t.b;
    if (!aKey || !bKey) throw new AdapterError(`${file}: module '${mod}' has ${aKey ? 'lora_A' : 'lora_B'} but not its partner tensor`);
    const aShape = src.shape(aKey);
    const rank = aShape[0] ?? 0;
    const expectedRank = matchPattern(cfg.rankPattern, mod) ?? cfg.r;
    if (rank !== expectedRank) {
      throw new AdapterError(`${file}: tensor '${aKey}' has rank ${rank} but ${cfgFile} says r = ${expectedRank} for '${mod}' (r / rank_pattern)`);
    }
    expectShape(file, aKey, aShape, [rank, inF]);
    expectShape(file, bKey, src.shape(bKey), [outF, rank]);
    if (t.bBias) expectShape(file, t.bBias, src.shape(t.bBias), [outF]);
    if (t.magnitude) expectShape(file, t.magnitude, src.shape(t.magnitude), [outF]);
    refuseSlotTarget(file, mod, target, cfg.useDora || t.magnitude !== undefined);
    if (cfg.useDora && !t.magnitude) throw new AdapterError(`${file}: use_dora is true but '${mod}' has no lora_magnitude_vector`);
    // PEFT builds lora_B without a bias unless lora_bias is set, so a stray bias tensor is ignored on load there too.
    const useBias = t.bBias !== undefined && cfg.loraBias;
    if (t.bBias && !cfg.loraBias) ignoredBias += 1;
    slots.push({
      modulePath: mod,
      target,
      rank,
      inFeatures: inF,
      outFeatures: outF,
      scaling: slotScaling(cfg, mod, rank),
      a: readFinite(input, aKey),
      b: readFinite(input, bKey),
      bBias: useBias ? readFinite(input, t.bBias!) : null,
      magnitude: t.magnitude ? readFinite(input, t.magnitude) : null,
    });
  }
  if (ignoredBias > 0) warnings.push(`${file}: ${ignoredBias} lora_B.bias tensor(s) are ignored because ${cfgFile} does not set lora_bias: true (PEFT ignores them too)`);
  return slots.sort((x, y) => slotOrder(x.target) - slotOrder(y.target));
}

/**
 * The base tensor a saved key is loaded into by PEFT (`load_state_dict` writes it into the
 * wrapped base module, so it holds whether the adapter is enabled or not), or null when the
 * key is not such a tensor: `<module>.base_layer.<part>` (save_embedding_layers copies,
 * bias: lora_only) and, with bias: all, the biases of modules that are not saved copies.
 * A tied head resolves to the embedding it shares.
 */
function baseCopyTarget(input: AdapterInput, base: WeightSource, rel: string): string | null {
  const { cfg, arch } = input;
  let name: string | null = null;
  if (rel.includes('.base_layer.')) name = rel.replace('.base_layer.', '.');
  else if (cfg.bias === 'all' && rel.endsWith('.bias') && !matchesTarget(cfg.modulesToSave, rel.slice(0, -'.bias'.length), false)) name = rel;
  if (name === null) return null;
  if (arch.tieWordEmbeddings && name === weightName(arch.weights, { module: 'lm_head' }) && !base.has(name)) name = weightName(arch.weights, { module: 'embed' });
  return base.has(name) ? name : null;
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Step 3: modules_to_save copies of base tensors (switched per view), tensors PEFT loads
 * into the base itself (kept only where they differ from the checkpoint), and copies of
 * non-text towers, reported and ignored.
 */
function loadOverrides(input: AdapterInput, base: WeightSource, saved: string[]): { overrides: OverrideTensors; baseTensors: OverrideTensors; ignored: string[] } {
  const { file, src, arch } = input;
  const overrides: OverrideTensors = new Map();
  const baseTensors: OverrideTensors = new Map();
  const ignored = new Set<string>();
  const headName = weightName(arch.weights, { module: 'lm_head' });
  for (const key of saved) {
    const rel = (key.startsWith(PREFIX) ? key.slice(PREFIX.length) : key).replace('.modules_to_save.default.', '.');
    const baseName = baseCopyTarget(input, base, rel);
    if (baseName !== null) {
      expectShape(file, key, src.shape(key), base.shape(baseName));
      const data = readFinite(input, key);
      if (!sameValues(data, base.readF32(baseName))) baseTensors.set(baseName, { shape: src.shape(key), data });
      continue;
    }
    const isHead = rel === headName;
    // A saved copy of a non-text tower is ignored even when the base checkpoint holds that tower (gemma4 stores its vision tower beside the text tower).
    const root = arch.weights.root;
    const nonText = NON_TEXT_MODULES.test(rel.startsWith(root) ? rel.slice(root.length) : rel);
    if ((base.has(rel) || isHead) && !nonText) {
      const want = isHead ? [arch.vocabSize, arch.hiddenSize] : base.shape(rel);
      expectShape(file, key, src.shape(key), want);
      overrides.set(rel, { shape: src.shape(key), data: readFinite(input, key) });
    } else if (nonText) {
      ignored.add(savedModuleOf(rel, input.cfg.modulesToSave));
    } else {
      throw new AdapterError(`${file}: saved tensor '${key}' does not correspond to any tensor of the base model`);
    }
  }
  return { overrides, baseTensors, ignored: [...ignored].sort() };
}

/** The modules_to_save entry a saved tensor belongs to, as a module path ('model.vision_tower'); else the tensor's module. */
function savedModuleOf(rel: string, modulesToSave: readonly string[]): string {
  for (const m of modulesToSave) {
    if (rel.startsWith(`${m}.`)) return m;
    const at = rel.indexOf(`.${m}.`);
    if (at >= 0) return rel.slice(0, at + 1 + m.length);
  }
  return rel.split('.').slice(0, -1).join('.');
}

/** Step 4: trainable_token_indices rows of the input embedding. */
function loadTrainableTokens(input: AdapterInput, tokenDelta: { key: string }): TrainableTokens {
  const { cfgFile, file, cfg, src, arch } = input;
  const idx = Array.isArray(cfg.trainableTokenIndices) ? cfg.trainableTokenIndices : (Object.values(cfg.trainableTokenIndices ?? {})[0] ?? null);
  if (!idx) throw new AdapterError(`${cfgFile}: the adapter has trainable_tokens_delta but trainable_token_indices is not set`);
  expectShape(file, tokenDelta.key, src.shape(tokenDelta.key), [idx.length, arch.hiddenSize]);
  for (const i of idx) if (!(i >= 0 && i < arch.vocabSize)) throw new AdapterError(`${cfgFile}: trainable_token_indices contains ${i}, outside the vocabulary (0..${arch.vocabSize - 1})`);
  return { tensorName: weightName(arch.weights, { module: 'embed' }), indices: idx, rows: readFinite(input, tokenDelta.key) };
}

