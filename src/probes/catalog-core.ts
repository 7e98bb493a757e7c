/** Adherence, ablation and baseline probes (issue 3). */
import type { ProbeDefinition } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const CORE_PROBES: ProbeDefinition<any>[] = [];
