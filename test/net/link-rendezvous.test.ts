/**
 * openLink's rendezvous against a hostile relay and a closed signaling client: a relay that
 * replays hellos from an earlier meeting must not capture the new attempt, and a closed
 * SignalingClient fails the attempt at once with LINK_SIGNALING_CLOSED.
 */
import { generateIdentity } from '../../src/core/identity';
import { beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openLink, type LinkOptions, type SecureLink } from '../../src/net/link';
import type { SignalingClient } from '../../src/net/signaling';
import { roomId } from '../../src/core/rendezvous';
import { nodeWrtc, warmUpWebRtc } from '../support/wrtc';
import { relayFixture } from '../support/relay';

const keyPair = () => generateIdentity((n) => crypto.getRandomValues(new Uint8Array(n)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(warmUpWebRtc);
const fx = relayFixture();
const signaling = () => fx.signaling();
const server = keyPair(),
  client = keyPair();
const serverOpts = (sig: SignalingClient, secret: Uint8Array, extra: Partial<LinkOptions> = {}): LinkOptions => ({
  signaling: sig,
  rendezvousSecret: secret,
  identity: server,
  iceServers: [],
  wrtc: nodeWrtc,
  timeoutMs: 10_000,
  shs: { role: 'server', authorize: () => true },
  ...extra,
});
const clientOpts = (sig: SignalingClient, secret: Uint8Array, extra: Partial<LinkOptions> = {}): LinkOptions => ({
  signaling: sig,
  rendezvousSecret: secret,
  identity: client,
  iceServers: [],
  wrtc: nodeWrtc,
  timeoutMs: 10_000,
  shs: { role: 'client', serverPublicKey: server.publicKey },
  ...extra,
});
const ok = (r: Awaited<ReturnType<typeof openLink>>): SecureLink => {
  if (!r.ok) throw new Error(`expected a link, got ${r.code} (${r.step}): ${r.message}`);
  return fx.keep(r.link);
};

/** A raw relay socket in the room: it publishes whatever blobs it is given (the replayer). */
async function replayer(room: string) {
  const ws = fx.keepSocket(new WebSocket(fx.url));
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (m) => {
      if (JSON.parse(String(m)).type === 'subscribed') resolve();
    });
    ws.once('open', () => ws.send(JSON.stringify({ type: 'subscribe', room })));
  });
  return (blobs: string[]) => {
    for (const data of blobs) ws.send(JSON.stringify({ type: 'publish', room, data }));
  };
}

describe('openLink rendezvous', () => {
  it('a relay replaying the hellos of an earlier meeting does not capture the next one', async () => {
    const seen: string[] = [];
    await fx.start({
      onForward: (_room, data) => {
        seen.push(data);
      },
    });
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const sigA = signaling(),
      sigB = signaling();

    // Meeting 1: the relay records every sealed blob (hellos, offer, answer, candidates).
    const [s1, c1] = await Promise.all([openLink(serverOpts(sigA, secret)), openLink(clientOpts(sigB, secret))]);
    await ok(s1).close();
    ok(c1);
    const old = seen.splice(0);
    expect(old.length).toBeGreaterThan(2);

    // Meeting 2, same rendezvous: A waits alone and is fed the whole earlier meeting first.
    const replay = await replayer(roomId(secret));
    const pa = openLink(serverOpts(sigA, secret));
    await sleep(300);
    replay(old);
    await sleep(300);
    const [s2, c2] = await Promise.all([pa, openLink(clientOpts(sigB, secret))]);
    expect(ok(s2).remotePublicKey).toEqual(client.publicKey);
    expect(ok(c2).remotePublicKey).toEqual(server.publicKey);
  });

  it('openLink on a closed SignalingClient fails at once with LINK_SIGNALING_CLOSED', async () => {
    await fx.start();
    const sig = signaling();
    sig.close();
    // A 60 s attempt against a 5 s test timeout: only an immediate failure passes.
    const r = await openLink(clientOpts(sig, crypto.getRandomValues(new Uint8Array(32)), { timeoutMs: 60_000 }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.code).toBe('LINK_SIGNALING_CLOSED');
    expect(!r.ok && r.message).toMatch(/signaling connection to the relay is closed/);
  }, 5_000);

  it('closing the SignalingClient during the rendezvous fails the attempt at once, and it leaves the room', async () => {
    await fx.start();
    const sig = signaling();
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const p = openLink(clientOpts(sig, secret, { timeoutMs: 60_000 }));
    await sleep(200);
    sig.close();
    const r = await p;
    expect(!r.ok && r.code).toBe('LINK_SIGNALING_CLOSED');
    expect(() => sig.publish(roomId(secret), new Uint8Array(1))).toThrow(/not subscribed/);
  }, 5_000);
});
