/**
 * TransferManager over real `openLink` links (node-datachannel on loopback, SHS, secure frames)
 * met through a real relay on 127.0.0.1: a file with chat alongside, and a cut link resumed on a
 * freshly opened one — the path the app takes.
 */
import { generateIdentity } from '../../src/core/identity';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { openLink, type LinkOptions, type SecureLink } from '../../src/net/link';
import { SignalingClient, type WebSocketConstructor } from '../../src/net/signaling';
import type { FramedLink } from '../../src/net/secure-link';
import { DEFAULT_GLUE_CHUNK_SIZE, DEFAULT_HIGH_WATER } from '../../src/net/transfers';
import { testManager as manager } from '../support/transfer-manager';
import { nodeWrtc, warmUpWebRtc } from '../support/wrtc';
import { startTestRelay, type TestRelay } from '../support/relay';

const MiB = 1 << 20;
const keyPair = () => generateIdentity((n) => crypto.getRandomValues(new Uint8Array(n)));

beforeAll(warmUpWebRtc);
let relay: TestRelay | null = null;
const clients: SignalingClient[] = [];
const links: SecureLink[] = [];
afterEach(async () => {
  for (const l of links.splice(0)) if (!l.closed) await l.close();
  for (const c of clients.splice(0)) c.close();
  await relay?.close();
  relay = null;
});

async function linkUp(e: {
  secret: Uint8Array;
  server: ReturnType<typeof keyPair>;
  client: ReturnType<typeof keyPair>;
}): Promise<[SecureLink, SecureLink]> {
  const mk = () => {
    const c = new SignalingClient(relay!.url, {
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      minBackoffMs: 50,
    });
    clients.push(c);
    return c;
  };
  const base = { rendezvousSecret: e.secret, iceServers: [], wrtc: nodeWrtc, timeoutMs: 15_000 };
  const [rs, rc] = await Promise.all([
    openLink({
      ...base,
      signaling: mk(),
      identity: e.server,
      shs: { role: 'server', authorize: () => true },
    } as LinkOptions),
    openLink({
      ...base,
      signaling: mk(),
      identity: e.client,
      shs: { role: 'client', serverPublicKey: e.server.publicKey },
    } as LinkOptions),
  ]);
  if (!rs.ok || !rc.ok) throw new Error(`link failed: ${!rs.ok ? rs.message : ''} ${!rc.ok ? rc.message : ''}`);
  links.push(rs.link, rc.link);
  return [rs.link, rc.link];
}

describe('TransferManager over openLink through a real relay', () => {
  it('a file arrives byte-identical with chat both ways during the transfer; a cut link resumes on a new one', async () => {
    relay = await startTestRelay();
    const env = { secret: crypto.getRandomValues(new Uint8Array(32)), server: keyPair(), client: keyPair() };
    const [s1, c1] = await linkUp(env);
    const alice = await manager('bob'),
      bob = await manager('alice');
    alice.m.attach(s1);
    bob.m.attach(c1);
    const chatsAtBob: string[] = [],
      chatsAtAlice: string[] = [];
    c1.onMessage((m) => {
      if (m.type === 'chat') chatsAtBob.push(m.id);
    });
    s1.onMessage((m) => {
      if (m.type === 'chat') chatsAtAlice.push(m.id);
    });
    // What the link holds (its queue + the data channel buffer) while chunks flow: sampled at every ack.
    let maxLinkBuffered = 0;
    alice.m.on((e) => {
      if (e.type === 'progress') maxLinkBuffered = Math.max(maxLinkBuffered, s1.bufferedAmount ?? Infinity);
    });
    const f = randomBytes(6 * MiB + 99);
    const id = await alice.m.send([new File([f], 'photo.raw')]);
    await bob.until((e) => e.type === 'offered');
    await bob.m.accept(id);
    await bob.until((e) => e.type === 'progress' && e.progress.done >= MiB);
    await s1.send({ type: 'chat', id: 'a1', text: 'sending you the photo', sentAt: 1 });
    await c1.send({ type: 'chat', id: 'b1', text: 'got part of it', sentAt: 2 });
    await bob.until((e) => e.type === 'progress' && e.progress.done >= 2 * MiB);
    // Both chats through before the cut below (a cut drops what the link has not delivered yet).
    while (chatsAtBob.length + chatsAtAlice.length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(bob.m.list()[0]!.status).toBe('active');
    expect(maxLinkBuffered).toBeGreaterThan(0);
    expect(maxLinkBuffered).toBeLessThanOrEqual(DEFAULT_HIGH_WATER + 2 * (DEFAULT_GLUE_CHUNK_SIZE + 64));
    (s1 as FramedLink).cut();
    await new Promise((r) => setTimeout(r, 100));
    const [s2, c2] = await linkUp(env);
    alice.m.attach(s2);
    bob.m.attach(c2);
    await bob.until((e) => e.type === 'complete');
    await alice.until((e) => e.type === 'complete');
    expect(Buffer.from(bob.store.bytes(id, 0)!).equals(f)).toBe(true);
    expect(chatsAtBob).toEqual(['a1']);
    expect(chatsAtAlice).toEqual(['b1']);
  });
});
