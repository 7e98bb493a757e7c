/**
 * A random adapter with a trained adapter's per-module strength: every lora_A/lora_B pair
 * is replaced by seeded Gaussian directions scaled so that ||B·A||_F is the trained pair's.
 * The hardest adversary for a null calibration: same shapes, same sizes, no intended effect.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/core/rng.js';
import { writeAdapter } from '../src/engine/fixtures/adapters.js';
import { updateNorm } from '../src/engine/adapter/null.js';
import { SafetensorsSource } from '../src/engine/safetensors/reader.js';
import type { TensorToWrite } from '../src/engine/safetensors/writer.js';

export function writeStrengthMatchedRandom(trainedDir: string, outDir: string, seed = 4242): void {
  const src = SafetensorsSource.openFile(join(trainedDir, 'adapter_model.safetensors'));
  const rng = new Rng(seed);
  const tensors: TensorToWrite[] = [];
  try {
    const names = [...src.names()].filter((n) => n.endsWith('.lora_A.weight')).sort();
    for (const aName of names) {
      const bName = aName.replace('.lora_A.weight', '.lora_B.weight');
      const [rank, inF] = src.shape(aName) as [number, number];
      const [outF] = src.shape(bName) as [number, number];
      const target = updateNorm(src.readF32(aName), src.readF32(bName), rank);
      const a = rng.fillNormal(new Float32Array(rank * inF), 1);
      const b = rng.fillNormal(new Float32Array(outF * rank), 1);
      const half = Math.sqrt(target / Math.max(updateNorm(a, b, rank), 1e-30));
      for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) * half;
      for (let i = 0; i < b.length; i++) b[i] = (b[i] as number) * half;
      tensors.push({ name: aName, dtype: 'F32', shape: [rank, inF], data: a }, { name: bName, dtype: 'F32', shape: [outF, rank], data: b });
    }
  } finally {
    src.close();
  }
  mkdirSync(outDir, { recursive: true });
  writeAdapter(outDir, { config: {}, tensors, readme: '# strength-matched random adapter\n\nThe trained adapter’s per-module ||B·A||_F, random directions.\n' });
  copyFileSync(join(trainedDir, 'adapter_config.json'), join(outDir, 'adapter_config.json'));
}
