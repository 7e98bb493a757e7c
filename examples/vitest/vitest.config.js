import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Inside the dlm-sway repository only: run the helper from source, no build needed.
  // In your own project, delete `resolve` — the package's exports map does this.
  resolve: {
    alias: {
      'dlm-sway/testing/vitest': fileURLToPath(new URL('../../src/testing/vitest.ts', import.meta.url)),
    },
  },
  test: {
    include: ['*.test.js'],
  },
});
