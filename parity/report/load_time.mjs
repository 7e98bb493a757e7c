// Times sway's backend load for one spec: the same buildBackend call `sway run` makes
// (model + adapter + graph + onnxruntime session), after the library is imported.
// Usage: node load_time.mjs SPEC  -> prints {"load_s": ...}
import { performance } from 'node:perf_hooks';
import 'onnxruntime-node';
import { buildBackend, loadSpecFile } from '../../dist/src/index.js';

const loaded = loadSpecFile(process.argv[2]);
const t0 = performance.now();
const backend = await buildBackend(loaded.spec.models.ft, loaded);
const loadS = (performance.now() - t0) / 1000;
await backend.close?.();
process.stdout.write(`${JSON.stringify({ load_s: loadS })}\n`);
