// One node:test test per probe of sway.yaml, plus `__gate__` for the composite score.
// Run (after `npm run build`): node --test examples/node-test/
import { swayTests } from 'dlm-sway/testing/node-test';

swayTests('sway.yaml', { threshold: 0.3, relativeTo: import.meta.url });
