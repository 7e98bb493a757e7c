/** Adherence, ablation and baseline probes (issue 3). */
import { adapterAblationProbe } from './adapter-ablation.js';
import { adapterRevertProbe } from './adapter-revert.js';
import { clusterKlProbe } from './cluster-kl.js';
import { deltaKlProbe } from './delta-kl.js';
import { multiTurnCoherenceProbe } from './multi-turn-coherence.js';
import { nullAdapterProbe } from './null-adapter.js';
import { promptCollapseProbe } from './prompt-collapse.js';
import type { ProbeDefinition } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const CORE_PROBES: ProbeDefinition<any>[] = [
  nullAdapterProbe,
  deltaKlProbe,
  adapterAblationProbe,
  clusterKlProbe,
  promptCollapseProbe,
  adapterRevertProbe,
  multiTurnCoherenceProbe,
];
