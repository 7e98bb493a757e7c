export { parseAdapterConfig, type AdapterConfig } from './config.js';
export { doraGains, doraGainsForScales } from './dora.js';
export { ADAPTER_CONFIG, ADAPTER_WEIGHTS, loadAdapter, type LoadAdapterOptions } from './load.js';
export { mergeAdapterWeights, type GetWeight64, type MergeOptions } from './merge.js';
export { LAYER_MODULES, isNonTextModule, layerModulePath, linearModulePaths, slotTargetOf } from './modules.js';
export { nullAdapterSlots, type NullAdapterOptions } from './null-adapter.js';
export { compilePythonRegex, translatePythonRegex } from './pyregex.js';
export { layerIndexParser, patternLookup, scalingResolver } from './selection.js';
export type { LayerModule, LoadedAdapter, LoraSlot, OverrideTensors, SlotTarget, TrainableTokens } from './types.js';
