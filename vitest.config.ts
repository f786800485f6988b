import { defineConfig } from 'vitest/config';

// Unit, property and node-to-node integration tests. Browser tests live in e2e/ (Playwright).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
