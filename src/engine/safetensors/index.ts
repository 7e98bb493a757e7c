export { DTYPE_BYTES, decodeToF32, encodeFromNumbers, floatToBf16Bits, floatToHalfBits, halfToFloat } from './dtype.js';
export { parseHeader, parseHeaderLength, type SafetensorsHeader, type TensorEntry } from './header.js';
export { SafetensorsFile, assertFinite } from './reader.js';
export { INDEX_FILE, SINGLE_FILE, SafetensorsWeightSource, openModelWeights, openSafetensorsSource, openShardedSource } from './source.js';
export { encodeSafetensors, writeSafetensors, type TensorToWrite } from './writer.js';
export { expectedTensors, validateCheckpoint, type CheckpointCheck, type ExpectedTensor } from './checkpoint.js';
