import { defineConfig } from 'vitest/config';

// Unit, property and node-to-node integration tests. Browser tests live in e2e/ (Playwright).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Generous: node WebRTC tests share 2 cores with everything else; a slow machine must not
    // fail a correct test (no test asserts timing; hangs still fail, just later).
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
