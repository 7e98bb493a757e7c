import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Inside the dlm-sway repository only: the helper runs from source (no build needed), so
// the project root is the repository and the package name points at src/. In your own
// project, this file needs nothing sway-specific — the package's exports map does it.
const repo = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root: repo,
  resolve: {
    alias: { 'dlm-sway/testing/vitest': `${repo}src/testing/vitest.ts` },
  },
  test: {
    dir: fileURLToPath(new URL('.', import.meta.url)),
    include: ['**/*.test.js'],
    reporters: ['default'],
  },
});
