/**
 * Setup file of the `webrtc` Vitest project: after each file, node-datachannel's native
 * threads are shut down (`cleanup()`, which closes what the file left open) before the fork
 * exits. Without it a fork now and then died *after* all its tests had passed ("Worker exited
 * unexpectedly"): libdatachannel threads calling back into a Node environment being torn down
 * (the pattern of murat-dogan/node-datachannel#222 and node-webrtc#636).
 */
import { afterAll } from 'vitest';
import { cleanup } from 'node-datachannel';

afterAll(() => {
  // Best effort: libdatachannel gives up after its own timeout ("cleanup timeout (possible
  // deadlock)", seen once while a link of the file was still closing); that is not a test result.
  try {
    cleanup();
  } catch (err) {
    console.warn(`node-datachannel cleanup: ${String((err as Error)?.message ?? err)}`);
  }
});
