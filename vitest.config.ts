import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    // Test files share a worker's module graph instead of re-importing it (onnxruntime,
    // the engine, the CLI) per file: about half the suite's CPU time. So a test must restore
    // any global it changes (env, cwd, stdout/stderr, spies); it passes in shuffled order.
    isolate: false,
    testTimeout: 120_000,
    // No warm-start engine cache in ~/.cache from tests; its own tests pass a temp folder.
    env: { SWAY_ENGINE_CACHE: 'off' },
    hookTimeout: 120_000,
    reporters: ['default', './test/support/closing-line-reporter.ts'],
  },
});
