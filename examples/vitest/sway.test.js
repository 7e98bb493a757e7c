// One vitest test per probe of sway.yaml, plus `__gate__` for the composite score.
// Run: npx vitest run --config examples/vitest/vitest.config.js
import { swayTests } from 'dlm-sway/testing/vitest';

swayTests('sway.yaml', { threshold: 0.3, relativeTo: import.meta.url });
