/**
 * Per-test resources of node link tests: the real relay, signaling clients and links, all
 * closed after each test (registers `beforeAll`/`afterEach` in the calling test file).
 */
import { afterEach, beforeAll } from 'vitest';
import { WebSocket } from 'ws';
import { SignalingClient, type WebSocketConstructor } from '../../src/net/signaling';
import type { SecureLink } from '../../src/net/secure-link';
import { warmUpWebRtc } from './wrtc';
import { startTestRelay, type TestRelay } from './relay';

export function linkFixture() {
  let relay: TestRelay | null = null;
  const clients: SignalingClient[] = [];
  const links: SecureLink[] = [];
  beforeAll(warmUpWebRtc);
  afterEach(async () => {
    for (const l of links.splice(0)) if (!l.closed) await l.close();
    for (const c of clients.splice(0)) c.close();
    await relay?.close();
    relay = null;
  });
  return {
    /** A signaling client of this test's relay (started on first use). */
    async signaling(): Promise<SignalingClient> {
      relay ??= await startTestRelay();
      const c = new SignalingClient(relay.url, {
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        minBackoffMs: 50,
      });
      clients.push(c);
      return c;
    },
    /** Closes these links after the test. */
    track(...ls: SecureLink[]): void {
      links.push(...ls);
    },
  };
}
