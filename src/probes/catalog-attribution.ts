/**
 * Attribution, calibration and pre-run probes (issue 5). The registry merges this list
 * with the adherence/ablation/baseline probes; add each new definition here.
 */
import { paraphraseInvariance } from './attribution/paraphrase-invariance.js';
import { preferenceFlip } from './attribution/preference-flip.js';
import { sectionInternalization } from './attribution/section-internalization.js';
import { toolUseFidelity } from './attribution/tool-use-fidelity.js';
import { calibrationDrift } from './calibration/calibration-drift.js';
import { externalPerplexity } from './calibration/external-perplexity.js';
import { leakage } from './calibration/leakage.js';
import { styleFingerprint } from './calibration/style-fingerprint.js';
import { gradientGhost } from './pre-run/gradient-ghost.js';
import { trainingDrift } from './pre-run/training-drift.js';
import type { ProbeDefinition } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const ATTRIBUTION_AND_CALIBRATION_PROBES: ProbeDefinition<any>[] = [
  sectionInternalization,
  paraphraseInvariance,
  preferenceFlip,
  toolUseFidelity, leakage, externalPerplexity, calibrationDrift, styleFingerprint, gradientGhost, trainingDrift];
