/**
 * openLink between two node peers whose signaling sockets are on two different relay instances
 * sharing one real redis-server (docs/relay.md "Several instances"): the rendezvous — hello,
 * offer, answer, candidates, all timed by `peer-joined` — works across instances, in either order
 * of arrival, and the secure link carries chat. WebRTC over loopback (node-datachannel).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { generateIdentity } from '../../src/core/identity';
import { openLink, type LinkOptions, type LinkResult, type SecureLink } from '../../src/net/link';
import { SignalingClient, type WebSocketConstructor } from '../../src/net/signaling';
import type { WireMessage } from '../../src/core/wire';
import { startTestRelay, type TestRelay } from '../support/relay';
import { startRedis, type Service } from '../support/services';
import { nodeWrtc, warmUpWebRtc } from '../support/wrtc';

const keyPair = () => generateIdentity((n) => crypto.getRandomValues(new Uint8Array(n)));

let redis: Service & { url: string };
let one: TestRelay;
let two: TestRelay;
beforeAll(async () => {
  await warmUpWebRtc();
  redis = await startRedis();
  one = await startTestRelay({ redisUrl: redis.url });
  two = await startTestRelay({ redisUrl: redis.url });
});
afterAll(async () => {
  await one?.close();
  await two?.close();
  await redis?.stop();
});

const clients: SignalingClient[] = [];
const links: SecureLink[] = [];
afterEach(async () => {
  for (const l of links.splice(0)) if (!l.closed) await l.close();
  for (const c of clients.splice(0)) c.close();
});

function signaling(url: string): SignalingClient {
  const c = new SignalingClient(url, { WebSocket: WebSocket as unknown as WebSocketConstructor, minBackoffMs: 50 });
  clients.push(c);
  return c;
}

const ok = (r: LinkResult): SecureLink => {
  if (!r.ok) throw new Error(`expected a link, got ${r.code}: ${r.message}`);
  links.push(r.link);
  return r.link;
};

describe('openLink across two relay instances sharing Redis', () => {
  for (const first of ['server', 'client'] as const) {
    it(`pairs and chats when the ${first} side arrives first`, async () => {
      const secret = crypto.getRandomValues(new Uint8Array(32));
      const server = keyPair();
      const client = keyPair();
      const common = { rendezvousSecret: secret, iceServers: [], wrtc: nodeWrtc, timeoutMs: 20_000 };
      const serverOpts: LinkOptions = {
        ...common,
        signaling: signaling(one.url),
        identity: server,
        shs: { role: 'server', authorize: () => true },
      };
      const clientOpts: LinkOptions = {
        ...common,
        signaling: signaling(two.url),
        identity: client,
        shs: { role: 'client', serverPublicKey: server.publicKey },
      };
      const [a, b] = first === 'server' ? [serverOpts, clientOpts] : [clientOpts, serverOpts];
      const early = openLink(a);
      await new Promise((r) => setTimeout(r, 300)); // the other side arrives later: it must be told
      const [ra, rb] = await Promise.all([early, openLink(b)]);
      const [s, c] = first === 'server' ? [ok(ra), ok(rb)] : [ok(rb), ok(ra)];
      expect(c.remotePublicKey).toEqual(server.publicKey);
      const got = new Promise<WireMessage>((resolve) => s.onMessage(resolve));
      await c.send({ type: 'chat', id: 'm1', text: 'across instances', sentAt: 1 });
      expect(await got).toEqual({ type: 'chat', id: 'm1', text: 'across instances', sentAt: 1 });
    });
  }
});
