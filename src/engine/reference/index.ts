export { linear, logSoftmaxRow, referenceForward, type GetWeight, type ReferenceOptions, type ReferenceOutput } from './forward.js';
export { referenceAdapterWeights, type ReferenceAdapterWeights } from './adapter.js';
export { getWeightFromSource, mergeOne, mergedWeights, type MergeSpec } from './weights.js';
