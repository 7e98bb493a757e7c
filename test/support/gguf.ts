/**
 * The GGUF writer the llama.cpp tests use is product code now (src/engine/gguf); this
 * module keeps the old import path working.
 */
export { permuteRows, writeGguf, type GgufTensor, type Kv } from '../../src/engine/gguf/writer.js';
