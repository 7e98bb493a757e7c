/**
 * Loads a PEFT LoRA adapter directory into the normalised LoadedAdapter form: LoRA slots
 * with their scaling, DoRA magnitudes, `modules_to_save` replacement tensors, trainable
 * token rows. Every shape is checked against the base model.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdapterError } from '../../core/errors.js';
import { SafetensorsSource, countNonFinite } from '../safetensors/reader.js';
import type { ArchSpec, WeightSource } from '../types.js';
import { matchPattern, matchesTarget, parseAdapterConfig, type AdapterConfig } from './config.js';
import type { LayerModule, LoadedAdapter, LoraSlot, OverrideTensors, SlotTarget, TrainableTokens } from './types.js';

const PREFIX = 'base_model.model.';
export const LAYER_MODULES: readonly LayerModule[] = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
const MLP_MODULES: readonly LayerModule[] = ['gate_proj', 'up_proj', 'down_proj'];
const LAYER_RE = /^model\.layers\.(\d+)\.(?:self_attn|mlp)\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)$/;
/** Module name fragments of towers a text-only forward never runs. */
const NON_TEXT_MODULES = /(vision|audio|image|multi_modal|mm_projector|visual|patch_embed|embed_vision|embed_audio)/;

export function slotTargetOf(modulePath: string): SlotTarget | null {
  const m = LAYER_RE.exec(modulePath);
  if (m) return { scope: 'layer', layer: Number(m[1]), module: m[2] as LayerModule };
  if (modulePath === 'lm_head') return { scope: 'lm_head' };
  if (modulePath === 'model.embed_tokens') return { scope: 'embed_tokens' };
  return null;
}

/** [in, out] features of a slot target for this architecture. */
export function slotFeatures(arch: ArchSpec, t: SlotTarget): [number, number] {
  const H = arch.hiddenSize;
  const q = arch.numHeads * arch.headDim;
  const kv = arch.numKvHeads * arch.headDim;
  const I = arch.intermediateSize;
  if (t.scope === 'lm_head') return [H, arch.vocabSize];
  if (t.scope === 'embed_tokens') return [arch.vocabSize, H];
  const table: Record<LayerModule, [number, number]> = {
    q_proj: [H, q],
    k_proj: [H, kv],
    v_proj: [H, kv],
    o_proj: [q, H],
    gate_proj: [H, I],
    up_proj: [H, I],
    down_proj: [I, H],
  };
  return table[t.module];
}

function slotOrder(t: SlotTarget): number {
  if (t.scope === 'layer') return t.layer * 10 + LAYER_MODULES.indexOf(t.module);
  return t.scope === 'lm_head' ? 1e9 : 1e9 + 1;
}

/** Every linear module path of the base model (for target matching and error messages). */
export function baseLinearModules(arch: ArchSpec): string[] {
  const out: string[] = [];
  for (let l = 0; l < arch.numLayers; l++) {
    for (const m of LAYER_MODULES) out.push(`model.layers.${l}.${MLP_MODULES.includes(m) ? 'mlp' : 'self_attn'}.${m}`);
  }
  out.push('lm_head');
  return out;
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

function scalingFor(cfg: AdapterConfig, modulePath: string, rank: number): number {
  const alpha = matchPattern(cfg.alphaPattern, modulePath) ?? cfg.loraAlpha;
  return cfg.useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
}

interface ModuleTensors {
  a?: string;
  b?: string;
  bBias?: string;
  magnitude?: string;
  embA?: string;
  embB?: string;
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
  const src = SafetensorsSource.openFile(weightsFile);
  try {
    return build(dir, cfgFile, weightsFile, cfg, src, arch, base);
  } finally {
    src.close();
  }
}

function build(
  dir: string,
  cfgFile: string,
  file: string,
  cfg: AdapterConfig,
  src: SafetensorsSource,
  arch: ArchSpec,
  base: WeightSource,
): LoadedAdapter {
  const modules = new Map<string, ModuleTensors>();
  const saved: string[] = [];
  let tokenDelta: { key: string; module: string } | null = null;
  const suffixes: [string, keyof ModuleTensors][] = [
    ['.lora_A.weight', 'a'],
    ['.lora_B.weight', 'b'],
    ['.lora_B.bias', 'bBias'],
    ['.lora_magnitude_vector', 'magnitude'],
    ['.lora_embedding_A', 'embA'],
    ['.lora_embedding_B', 'embB'],
  ];
  for (const key of src.names()) {
    const rel = key.startsWith(PREFIX) ? key.slice(PREFIX.length) : key;
    const suffix = suffixes.find(([s]) => rel.endsWith(s));
    if (suffix) {
      const mod = rel.slice(0, -suffix[0].length);
      const entry = modules.get(mod) ?? {};
      entry[suffix[1]] = key;
      modules.set(mod, entry);
    } else if (rel.endsWith('.token_adapter.trainable_tokens_delta')) {
      tokenDelta = { key, module: rel.slice(0, -'.token_adapter.trainable_tokens_delta'.length) };
    } else {
      saved.push(key);
    }
  }

  const nonFinite: string[] = [];
  const read = (key: string): Float32Array => {
    const data = src.readF32(key);
    if (countNonFinite(data) > 0) nonFinite.push(key);
    return data;
  };

  const slots: LoraSlot[] = [];
  for (const [mod, t] of modules) {
    const target = slotTargetOf(mod);
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
    if (cfg.useDora && !t.magnitude && !isEmb) throw new AdapterError(`${file}: use_dora is true but '${mod}' has no lora_magnitude_vector`);
    slots.push({
      modulePath: mod,
      target,
      rank,
      inFeatures: inF,
      outFeatures: outF,
      scaling: scalingFor(cfg, mod, rank),
      a: read(aKey),
      b: read(bKey),
      bBias: t.bBias ? read(t.bBias) : null,
      magnitude: t.magnitude ? read(t.magnitude) : null,
    });
  }
  slots.sort((x, y) => slotOrder(x.target) - slotOrder(y.target));

  if (cfg.layersToTransform) {
    const allowed = new Set(cfg.layersToTransform);
    const stray = slots.find((s) => s.target.scope === 'layer' && !allowed.has(s.target.layer));
    if (stray) throw new AdapterError(`${file}: module '${stray.modulePath}' is outside layers_to_transform [${cfg.layersToTransform.join(', ')}] of ${cfgFile}`);
  }
  if (cfg.targetModules !== null) {
    const linear = baseLinearModules(arch);
    const hits = linear.filter((m) => matchesTarget(cfg.targetModules, m, true));
    if (hits.length === 0 && slots.length === 0) {
      throw new AdapterError(
        `${cfgFile}: target_modules ${JSON.stringify(cfg.targetModules)} matches no module of the base model ` +
          `(its linear modules end in: ${[...new Set(linear.map((m) => m.split('.').pop()))].join(', ')})`,
      );
    }
  }
  if (slots.length === 0 && saved.length === 0 && !tokenDelta) {
    throw new AdapterError(`${file}: the adapter holds no LoRA tensors`);
  }

  const overrides: OverrideTensors = new Map();
  const ignored = new Set<string>();
  for (const key of saved) {
    const rel = (key.startsWith(PREFIX) ? key.slice(PREFIX.length) : key).replace('.modules_to_save.default.', '.');
    const isHead = rel === 'lm_head.weight';
    if (base.has(rel) || isHead) {
      const want = isHead ? [arch.vocabSize, arch.hiddenSize] : base.shape(rel);
      expectShape(file, key, src.shape(key), want);
      overrides.set(rel, { shape: src.shape(key), data: read(key) });
    } else if (NON_TEXT_MODULES.test(rel)) {
      ignored.add(rel.split('.').slice(0, -1).join('.'));
    } else {
      throw new AdapterError(`${file}: saved tensor '${key}' does not correspond to any tensor of the base model`);
    }
  }
  const warnings: string[] = [];
  if (ignored.size > 0) {
    warnings.push(
      `${dir}: modules_to_save holds copies of modules a text-only forward never runs; they are loaded and ignored: ${[...ignored].sort().join(', ')}`,
    );
  }

  let trainableTokens: TrainableTokens | null = null;
  if (tokenDelta) {
    const idx = Array.isArray(cfg.trainableTokenIndices)
      ? cfg.trainableTokenIndices
      : (Object.values(cfg.trainableTokenIndices ?? {})[0] ?? null);
    if (!idx) throw new AdapterError(`${cfgFile}: the adapter has trainable_tokens_delta but trainable_token_indices is not set`);
    expectShape(file, tokenDelta.key, src.shape(tokenDelta.key), [idx.length, arch.hiddenSize]);
    for (const i of idx) if (!(i >= 0 && i < arch.vocabSize)) throw new AdapterError(`${cfgFile}: trainable_token_indices contains ${i}, outside the vocabulary (0..${arch.vocabSize - 1})`);
    trainableTokens = { tensorName: 'model.embed_tokens.weight', indices: idx, rows: read(tokenDelta.key) };
  }

  const hash = createHash('sha256');
  hash.update(readFileSync(cfgFile));
  hash.update(readFileSync(file));
  return {
    dir,
    contentHash: hash.digest('hex'),
    baseModelNameOrPath: cfg.baseModelNameOrPath,
    useDora: cfg.useDora,
    slots,
    overrides,
    trainableTokens,
    warnings,
    nonFinite,
  };
}
