/** dlm's training_state.pt → per-parameter Adam statistics for gradient_ghost. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MissingTrainingStateError } from '../../core/errors.js';
import { isTensor, tensorValues, torchLoad, type TorchArchive } from './torch-load.js';
import { PickleTuple, type PickleValue } from './restricted-unpickler.js';
import { TrainingStateError } from './torch-zip.js';

export interface ParamStat {
  paramId: number;
  step: number;
  expAvgNorm: number;
  expAvgSqMean: number;
  numel: number;
}

export interface TrainingStateSnapshot {
  globalStep: number;
  epoch: number;
  bestValLoss: number;
  params: ParamStat[];
  pinnedVersions: Record<string, unknown>;
  baseModelRevision: string | null;
  dlmManifestHash: string | null;
  useQlora: boolean;
}

function typeName(v: PickleValue | undefined): string {
  if (v === undefined || v === null) return 'NoneType';
  if (v instanceof Map) return 'dict';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PickleTuple) return 'tuple';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof Uint8Array) return 'bytes';
  if (isTensor(v)) return 'Tensor';
  return 'object';
}

function num(v: PickleValue | undefined, archive: TorchArchive, fallback: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (isTensor(v)) {
    const vals = tensorValues(v, archive);
    return vals.length === 1 ? vals[0]! : fallback;
  }
  return fallback;
}

/** Missing file → MissingTrainingStateError (SKIP); any other failure → TrainingStateError (ERROR). */
export function loadTrainingState(dir: string): TrainingStateSnapshot {
  const path = join(dir, 'training_state.pt');
  if (!existsSync(path)) throw new MissingTrainingStateError(dir);
  const archive = torchLoad(path);
  const top = archive.root;
  if (!(top instanceof Map)) throw new TrainingStateError(`${path}: expected dict, got ${typeName(top)}`);
  const opt = top.get('optimizer_state_dict');
  if (!(opt instanceof Map)) throw new TrainingStateError(`${path}: missing 'optimizer_state_dict' (got ${typeName(opt)})`);
  const state = opt.get('state');
  if (!(state instanceof Map)) {
    throw new TrainingStateError(`${path}: optimizer_state_dict.state is not a dict (got ${typeName(state)})`);
  }
  const params: ParamStat[] = [];
  for (const [key, entry] of state) {
    if (typeof key !== 'number' || !Number.isInteger(key)) {
      throw new TrainingStateError(
        `${path}: optimizer_state_dict.state has non-int key ${JSON.stringify(key)} (type ${typeName(key)})`,
      );
    }
    if (!(entry instanceof Map)) continue;
    let step = Math.trunc(num(entry.get('step'), archive, 0));
    if (!Number.isFinite(step)) step = 0;
    const avg = entry.get('exp_avg');
    const sq = entry.get('exp_avg_sq');
    let norm = 0;
    if (isTensor(avg)) {
      let s = 0;
      for (const x of tensorValues(avg, archive)) s += x * x;
      norm = Math.sqrt(s);
    }
    let mean = 0;
    let numel = 0;
    if (isTensor(sq)) {
      const vals = tensorValues(sq, archive);
      numel = vals.length;
      let s = 0;
      for (const x of vals) s += x;
      mean = vals.length ? s / vals.length : NaN;
    } else if (isTensor(avg)) numel = avg.size.reduce((a, b) => a * b, 1);
    params.push({ paramId: key, step, expAvgNorm: norm, expAvgSqMean: mean, numel });
  }
  params.sort((a, b) => a.paramId - b.paramId);
  const str = (v: PickleValue | undefined): string | null => (typeof v === 'string' ? v : null);
  const pinned: Record<string, unknown> = {};
  const pv = top.get('pinned_versions');
  if (pv instanceof Map) for (const [k, v] of pv) if (typeof k === 'string') pinned[k] = typeof v === 'string' || typeof v === 'number' ? v : null;
  return {
    globalStep: Math.trunc(num(top.get('global_step'), archive, 0)) || 0,
    epoch: num(top.get('epoch'), archive, 0) || 0,
    bestValLoss: num(top.get('best_val_loss'), archive, 0) || 0,
    params,
    pinnedVersions: pinned,
    baseModelRevision: str(top.get('base_model_revision')),
    dlmManifestHash: str(top.get('dlm_manifest_hash')),
    useQlora: top.get('use_qlora') === true,
  };
}
