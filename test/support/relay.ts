/**
 * The real signaling relay (server/relay.ts) on 127.0.0.1 with a random port, for net tests.
 * `onForward` lets a test record what the relay sees or play a hostile relay; `dropAll` cuts
 * every TCP connection at once, as a relay restart or a network change would.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach } from 'vitest';
import { WebSocket } from 'ws';
import { createRelay, type ForwardHook, type RelayOptions, type SubscribeHook } from '../../server/relay';
import { SignalingClient, type WebSocketConstructor } from '../../src/net/signaling';
import type { SecureLink } from '../../src/net/secure-link';

export type { ForwardHook, SubscribeHook };

export interface TestRelay {
  url: string; // ws://127.0.0.1:PORT/signal
  server: Server;
  dropAll(): void;
  close(): Promise<void>;
}

/** `opts`: any relay option (limits, hooks, `redisUrl`); the defaults otherwise. */
export async function startTestRelay(opts: RelayOptions = {}): Promise<TestRelay> {
  const relay = createRelay({ logLevel: 'silent', staticDir: '/nonexistent', ...opts });
  const sockets = new Set<Socket>();
  relay.server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const { port } = await relay.listen(0, '127.0.0.1');
  return {
    url: `ws://127.0.0.1:${port}/signal`,
    server: relay.server,
    dropAll: () => {
      for (const s of sockets) s.destroy();
    },
    close: () => relay.close(),
  };
}

/**
 * A relay for each test plus the signaling clients, links and raw sockets the test opens, all
 * closed after each test (register at module level: it installs an `afterEach`).
 */
export function relayFixture() {
  let relay: TestRelay | null = null;
  const clients: SignalingClient[] = [];
  const links: SecureLink[] = [];
  const sockets: { close(): void }[] = [];
  afterEach(async () => {
    for (const l of links.splice(0)) if (!l.closed) await l.close().catch(() => {});
    for (const c of clients.splice(0)) c.close();
    for (const s of sockets.splice(0)) s.close();
    await relay?.close();
    relay = null;
  });
  return {
    async start(opts: RelayOptions = {}): Promise<TestRelay> {
      return (relay = await startTestRelay(opts));
    },
    get url(): string {
      return relay!.url;
    },
    signaling(): SignalingClient {
      const c = new SignalingClient(relay!.url, {
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        minBackoffMs: 50,
      });
      clients.push(c);
      return c;
    },
    keep<T extends SecureLink>(l: T): T {
      links.push(l);
      return l;
    },
    keepSocket<T extends { close(): void }>(s: T): T {
      sockets.push(s);
      return s;
    },
  };
}
