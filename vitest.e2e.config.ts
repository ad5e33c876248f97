import { defineConfig } from 'vitest/config';

/**
 * End-to-end tests: the built renderer in headless Chromium against the real host in web mode.
 * `npm run test:e2e` builds the renderer first. Files run one at a time: each starts a server and a
 * browser, and the machine has two cores.
 */
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
