/**
 * The real signaling relay (server/relay.ts) on 127.0.0.1 with a random port, for net tests.
 * `onForward` lets a test record what the relay sees or play a hostile relay; `dropAll` cuts
 * every TCP connection at once, as a relay restart or a network change would.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { createRelay, type ForwardHook } from '../../server/relay';

export type { ForwardHook };

export interface TestRelay {
  url: string;            // ws://127.0.0.1:PORT/signal
  server: Server;
  dropAll(): void;
  close(): Promise<void>;
}

export async function startTestRelay(opts: { onForward?: ForwardHook } = {}): Promise<TestRelay> {
  const relay = createRelay({ logLevel: 'silent', staticDir: '/nonexistent', ...(opts.onForward ? { onForward: opts.onForward } : {}) });
  const sockets = new Set<Socket>();
  relay.server.on('connection', (s: Socket) => { sockets.add(s); s.once('close', () => sockets.delete(s)); });
  const { port } = await relay.listen(0, '127.0.0.1');
  return {
    url: `ws://127.0.0.1:${port}/signal`,
    server: relay.server,
    dropAll: () => { for (const s of sockets) s.destroy(); },
    close: () => relay.close(),
  };
}
