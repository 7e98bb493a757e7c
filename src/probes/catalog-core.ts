/** Adherence, ablation and baseline probes (issue 3). */
import { adapterAblationProbe } from './adapter-ablation.js';
import { deltaKlProbe } from './delta-kl.js';
import { nullAdapterProbe } from './null-adapter.js';
import type { ProbeDefinition } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const CORE_PROBES: ProbeDefinition<any>[] = [nullAdapterProbe, deltaKlProbe, adapterAblationProbe];
