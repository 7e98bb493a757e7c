/**
 * Attribution, calibration and pre-run probes (issue 5). The registry merges this list
 * with the adherence/ablation/baseline probes; add each new definition here.
 */
import { paraphraseInvarianceProbe } from './attribution/paraphrase-invariance.js';
import { preferenceFlipProbe } from './attribution/preference-flip.js';
import { toolUseFidelityProbe } from './attribution/tool-use-fidelity.js';
import { sectionInternalizationProbe } from './attribution/section-internalization.js';
import { calibrationDriftProbe } from './calibration-probes/calibration-drift.js';
import { externalPerplexityProbe } from './calibration-probes/external-perplexity.js';
import { styleFingerprintProbe } from './calibration-probes/style-fingerprint.js';
import { leakageProbe } from './calibration-probes/leakage.js';
import { gradientGhostProbe } from './pre-run/gradient-ghost.js';
import { trainingDriftProbe } from './pre-run/training-drift.js';
import type { ProbeDefinition } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const ATTRIBUTION_AND_CALIBRATION_PROBES: ProbeDefinition<any>[] = [
  sectionInternalizationProbe,
  paraphraseInvarianceProbe,
  preferenceFlipProbe,
  toolUseFidelityProbe,
  styleFingerprintProbe,
  calibrationDriftProbe,
  leakageProbe,
  externalPerplexityProbe,
  gradientGhostProbe,
  trainingDriftProbe,
];
