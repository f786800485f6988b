import { defineConfig } from 'vitest/config';

// Unit, property and node-to-node integration tests. Browser tests live in e2e/ (Playwright).
//
// Two groups: pure tests run in parallel first; then the tests that open real WebRTC
// connections (node-datachannel) run one file at a time, so that ICE/DTLS on a 2-core machine is
// not starved by the rest of the suite. No test asserts timing: the generous timeouts only keep a
// slow machine from failing a correct test (a hang still fails). The WebRTC group retries a failed
// test twice: libdatachannel occasionally fails a fresh connection inside its own
// setRemoteDescription (docs/net.md); an attack that succeeds would succeed on every try.
export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/net/**', 'test/attacks/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'webrtc',
          include: ['test/net/**/*.test.ts', 'test/attacks/**/*.test.ts'],
          fileParallelism: false,
          retry: 2,
          setupFiles: ['test/support/webrtc-teardown.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
