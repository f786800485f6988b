/**
 * openLink between two node peers (node-datachannel on loopback) through a relay on 127.0.0.1:
 * pairing, messages, clean close, and the attacks and failures a user must be told about.
 */
import { generateIdentity } from '../../src/core/identity';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { isNoRouteFailure, openLink, type LinkOptions, type LinkResult, type SecureLink } from '../../src/net/link';
import { routeSample } from '../../src/net/route-stats';
import { SignalingClient, type WebSocketConstructor, fromBase64url, toBase64url } from '../../src/net/signaling';
import type { WireMessage } from '../../src/core/wire';
import { roomId } from '../../src/core/rendezvous';
import { createdSdps, flakyWrtc, nodeWrtc, stuckWrtc, warmUpWebRtc } from '../support/wrtc';
import { assertNoLeaks, type Secret } from '../support/leakscan';
import { sdpFingerprint } from '../../src/net/peer';
import type { FramedLink } from '../../src/net/secure-link';
import { startTestRelay, type ForwardHook, type TestRelay } from '../support/relay';

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

async function setup(onForward?: ForwardHook) {
  relay = await startTestRelay(onForward ? { onForward } : {});
  const mk = () => {
    const c = new SignalingClient(relay!.url, {
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      minBackoffMs: 50,
    });
    clients.push(c);
    return c;
  };
  return {
    sigA: mk(),
    sigB: mk(),
    secret: crypto.getRandomValues(new Uint8Array(32)),
    server: keyPair(),
    client: keyPair(),
  };
}

type Env = Awaited<ReturnType<typeof setup>>;
const serverOpts = (e: Env, extra: Partial<LinkOptions> = {}): LinkOptions => ({
  signaling: e.sigA,
  rendezvousSecret: e.secret,
  identity: e.server,
  iceServers: [],
  wrtc: nodeWrtc,
  timeoutMs: 15_000,
  shs: { role: 'server', authorize: () => true },
  ...extra,
});
const clientOpts = (e: Env, extra: Partial<LinkOptions> = {}): LinkOptions => ({
  signaling: e.sigB,
  rendezvousSecret: e.secret,
  identity: e.client,
  iceServers: [],
  wrtc: nodeWrtc,
  timeoutMs: 15_000,
  shs: { role: 'client', serverPublicKey: e.server.publicKey },
  ...extra,
});
const ok = (r: LinkResult): SecureLink => {
  if (!r.ok) throw new Error(`expected a link, got ${r.code}: ${r.message}`);
  links.push(r.link);
  return r.link;
};
const next = (l: SecureLink) =>
  new Promise<WireMessage>((resolve) => {
    const off = l.onMessage((m) => {
      off();
      resolve(m);
    });
  });
const closeEvent = (l: SecureLink) =>
  new Promise<Parameters<Parameters<SecureLink['onClose']>[0]>[0]>((resolve) => l.onClose(resolve));

describe('openLink', () => {
  it('pairs client and server, carries messages both ways, and closes cleanly on both sides', async () => {
    const e = await setup();
    const authorized: Uint8Array[] = [];
    const [rs, rc] = await Promise.all([
      openLink(
        serverOpts(e, {
          shs: {
            role: 'server',
            authorize: (k) => {
              authorized.push(k);
              return true;
            },
          },
        }),
      ),
      openLink(clientOpts(e)),
    ]);
    const s = ok(rs),
      c = ok(rc);
    expect(() => e.sigA.publish(roomId(e.secret), new Uint8Array(1))).toThrow(/not subscribed/); // signaling is left
    expect(authorized).toEqual([e.client.publicKey]);
    expect(s.remotePublicKey).toEqual(e.client.publicKey);
    expect(c.remotePublicKey).toEqual(e.server.publicKey);
    expect(s.handshakeSecret).toEqual(c.handshakeSecret);
    expect(s.handshakeSecret.some((b) => b !== 0)).toBe(true); // not a wiped buffer

    const atS = next(s);
    await c.send({ type: 'chat', id: 'm1', text: 'hello from the client', sentAt: 1 });
    expect(await atS).toEqual({ type: 'chat', id: 'm1', text: 'hello from the client', sentAt: 1 });
    const got: WireMessage[] = [];
    const three = new Promise<void>((resolve) =>
      c.onMessage((m) => {
        got.push(m);
        if (got.length === 3) resolve();
      }),
    );
    await Promise.all([1, 2, 3].map((i) => s.send({ type: 'receipt', id: `r${i}` })));
    await three;
    expect(got.map((m) => m.type === 'receipt' && m.id)).toEqual(['r1', 'r2', 'r3']);

    const sClosed = closeEvent(s),
      cClosed = closeEvent(c);
    await c.close();
    expect(await cClosed).toEqual({ clean: true });
    expect(await sClosed).toEqual({ clean: true });
    await expect(c.send({ type: 'receipt', id: 'late' })).rejects.toThrow(/closed/);
  });

  it('works whichever side arrives first at the rendezvous', async () => {
    const e = await setup();
    const pc = openLink(clientOpts(e));
    await new Promise((r) => setTimeout(r, 300)); // the client waits alone in the room
    const [rs, rc] = await Promise.all([openLink(serverOpts(e)), pc]);
    ok(rs);
    ok(rc);
  });

  it('a client dialing the wrong server key gets LINK_HANDSHAKE_FAILED, and the server fails too', async () => {
    const e = await setup();
    const [rs, rc] = await Promise.all([
      openLink(serverOpts(e)),
      openLink(clientOpts(e, { shs: { role: 'client', serverPublicKey: keyPair().publicKey } })),
    ]);
    expect(rc.ok).toBe(false);
    expect(!rc.ok && rc.code).toBe('LINK_HANDSHAKE_FAILED');
    expect(!rc.ok && rc.message).toMatch(/could not be verified — someone may be interfering/);
    expect(rs.ok).toBe(false);
    expect(!rs.ok && rs.code).toBe('LINK_HANDSHAKE_FAILED');
  });

  it('a server whose authorize() refuses the client: both sides fail, the client learns nothing more', async () => {
    const e = await setup();
    const [rs, rc] = await Promise.all([
      openLink(serverOpts(e, { shs: { role: 'server', authorize: () => false } })),
      openLink(clientOpts(e)),
    ]);
    expect(!rs.ok && rs.code).toBe('LINK_HANDSHAKE_FAILED');
    expect(!rs.ok && rs.message).toMatch(/we refused this peer/);
    expect(!rc.ok && rc.code).toBe('LINK_HANDSHAKE_FAILED');
  });

  it('a peer that never arrives gives LINK_TIMEOUT saying so, and leaves the room', async () => {
    const e = await setup();
    const r = await openLink(clientOpts(e, { timeoutMs: 800 }));
    expect(!r.ok && r.code).toBe('LINK_TIMEOUT');
    expect(!r.ok && r.message).toMatch(/never showed up/);
    expect(() => e.sigB.publish(roomId(e.secret), new Uint8Array(1))).toThrow(/not subscribed/);
  });

  it('an AbortSignal cancels the attempt with LINK_ABORTED', async () => {
    const e = await setup();
    const ac = new AbortController();
    const p = openLink(clientOpts(e, { signal: ac.signal }));
    setTimeout(() => ac.abort(), 100);
    const r = await p;
    expect(!r.ok && r.code).toBe('LINK_ABORTED');
    const pre = await openLink(clientOpts(e, { signal: AbortSignal.abort() }));
    expect(!pre.ok && pre.code).toBe('LINK_ABORTED');
  });

  it('a relay that alters a sealed blob makes the attempt fail fast, not hang', async () => {
    let n = 0;
    const e = await setup((_room, data) => {
      if (++n !== 2) return; // the second blob (a hello reply or an offer)
      const b = fromBase64url(data)!;
      b[b.length - 1]! ^= 1;
      return toBase64url(b);
    });
    const [rs, rc] = await Promise.all([openLink(serverOpts(e)), openLink(clientOpts(e))]);
    // The side that opened the altered blob fails at once and tells the other (its timeout is 15 s).
    expect([rs.ok, rc.ok]).toEqual([false, false]);
    expect([!rs.ok && rs.code, !rc.ok && rc.code]).toEqual(['LINK_HANDSHAKE_FAILED', 'LINK_HANDSHAKE_FAILED']);
    expect([rs, rc].filter((f) => !f.ok && /altered in transit/.test(f.message))).toHaveLength(1);
  });

  it('the relay only ever sees sealed blobs: no SDP, fingerprint, candidate or key in what it forwards', async () => {
    const seen: string[] = [];
    const e = await setup((_room, data) => {
      seen.push(data);
    });
    createdSdps.length = 0;
    const [rs, rc] = await Promise.all([openLink(serverOpts(e)), openLink(clientOpts(e))]);
    const s = ok(rs);
    ok(rc);
    expect(seen.length).toBeGreaterThan(2);
    expect(createdSdps.length).toBeGreaterThanOrEqual(2); // more if a WebRTC attempt was retried
    const secrets: Secret[] = [
      { label: 'server identity key', value: e.server.publicKey },
      { label: 'client identity key', value: e.client.publicKey },
      { label: 'handshake secret', value: s.handshakeSecret },
    ];
    for (const [i, sdp] of createdSdps.entries()) {
      const fp = sdpFingerprint(sdp);
      if (!fp.ok) throw new Error(fp.message);
      secrets.push({ label: `DTLS fingerprint ${i}`, value: fp.fingerprint });
      for (const line of sdp.split(/\r?\n/).filter((l) => /^a=(candidate|ice-ufrag|ice-pwd|fingerprint)/.test(l)))
        secrets.push({ label: `SDP ${i}: ${line.slice(0, 12)}`, value: line.slice(2) });
    }
    secrets.push(
      { label: 'SDP keyword', value: 'webrtc-datachannel' },
      { label: 'loopback address', value: '127.0.0.1' },
    );
    assertNoLeaks(secrets, seen);
    assertNoLeaks(
      secrets,
      seen.map((d) => fromBase64url(d)!),
    );
  });

  it('a message that does not decode closes the link with a typed failure; what came before is kept', async () => {
    const e = await setup();
    const [rs, rc] = await Promise.all([openLink(serverOpts(e)), openLink(clientOpts(e))]);
    const s = ok(rs) as FramedLink,
      c = ok(rc);
    const got: WireMessage[] = [];
    c.onMessage((m) => got.push(m));
    const closed = closeEvent(c);
    await s.send({ type: 'chat', id: 'before', text: 'kept', sentAt: 5 });
    await s.sendRawPayload(new Uint8Array([0xff, 0x00, 0x13, 0x37]));
    const ev = await closed;
    expect(ev.clean).toBe(false);
    expect(ev.failure?.code).toMatch(/^WIRE_/);
    expect(got).toEqual([{ type: 'chat', id: 'before', text: 'kept', sentAt: 5 }]);
    await expect(c.send({ type: 'receipt', id: 'before' })).rejects.toThrow(/closed/);
  });

  it('a message of an unknown type (a newer peer) is skipped and the link stays open', async () => {
    const e = await setup();
    const [rs, rc] = await Promise.all([openLink(serverOpts(e)), openLink(clientOpts(e))]);
    const s = ok(rs) as FramedLink,
      c = ok(rc) as FramedLink;
    const got: WireMessage[] = [];
    const two = new Promise<void>((resolve) =>
      c.onMessage((m) => {
        got.push(m);
        if (got.length === 2) resolve();
      }),
    );
    await s.send({ type: 'receipt', id: 'one' });
    await s.sendRawPayload(new Uint8Array([1, 0x7f, 0x7b, 0x7d])); // version 1, type 0x7f
    await s.send({ type: 'receipt', id: 'two' });
    await two;
    expect(got).toEqual([
      { type: 'receipt', id: 'one' },
      { type: 'receipt', id: 'two' },
    ]);
    expect(c.skippedCount).toBe(1);
    expect(c.closed).toBe(false);
  });

  it('a connection cut without goodbye is reported as not clean (FRAME_TRUNCATED) on the other side', async () => {
    const e = await setup();
    const [rs, rc] = await Promise.all([openLink(serverOpts(e)), openLink(clientOpts(e))]);
    const s = ok(rs),
      c = ok(rc) as FramedLink;
    const closed = closeEvent(s);
    c.cut();
    const ev = await closed;
    expect(ev.clean).toBe(false);
    expect(ev.failure?.code).toBe('FRAME_TRUNCATED');
  });

  it('a WebRTC attempt that fails is retried under fresh session ids', async () => {
    const e = await setup();
    const [rs, rc] = await Promise.all([openLink(serverOpts(e)), openLink(clientOpts(e, { wrtc: flakyWrtc(1) }))]);
    expect(ok(rc).remotePublicKey).toEqual(e.server.publicKey);
    ok(rs);
  });

  it('WebRTC that keeps failing ends in LINK_WEBRTC_FAILED, and the other side is told', async () => {
    const e = await setup();
    const [rs, rc] = await Promise.all([openLink(serverOpts(e)), openLink(clientOpts(e, { wrtc: flakyWrtc(100) }))]);
    expect(!rc.ok && rc.code).toBe('LINK_WEBRTC_FAILED');
    expect(!rc.ok && rc.message).toMatch(/direct connection failed/);
    expect(!rs.ok && rs.code).toBe('LINK_CLOSED');
    // The other side learns why: the two met, but no route was found (the app's CONNECTION_FAILED).
    expect(!rs.ok && rs.peerCode).toBe('LINK_WEBRTC_FAILED');
    expect(!rs.ok && isNoRouteFailure(rs)).toBe(true);
    expect(!rc.ok && isNoRouteFailure(rc)).toBe(true);
  });

  it('relay-only with no TURN server fails at once on both sides, saying why (no 30-s wait)', async () => {
    const e = await setup();
    const relayOnly = { iceTransportPolicy: 'relay' as const, timeoutMs: 25_000 };
    const [rs, rc] = await Promise.all([openLink(serverOpts(e, relayOnly)), openLink(clientOpts(e, relayOnly))]);
    for (const r of [rs, rc]) {
      expect(r.ok).toBe(false);
      expect(!r.ok && isNoRouteFailure(r)).toBe(true);
    }
    const failed = [rs, rc].find((r) => !r.ok && r.code === 'LINK_WEBRTC_FAILED');
    expect(failed && !failed.ok && failed.message).toMatch(
      /relay-only is on and no TURN server gave this browser a relay address/,
    );
  });

  it("a link's stats say which way it goes (node-datachannel: host to host on loopback)", async () => {
    const e = await setup();
    const [rs, rc] = await Promise.all([openLink(serverOpts(e)), openLink(clientOpts(e))]);
    const link = ok(rc);
    const report = await link.stats!();
    expect(report).not.toBeNull();
    const sample = routeSample(report!);
    expect(sample).toMatchObject({ route: 'direct', local: 'host' });
    // The remote end is `prflx` when its connectivity check arrived before its trickled candidate
    // (the same loopback address, learned from the check): a direct route either way.
    expect(['host', 'prflx']).toContain(sample.remote);
    await link.close();
    expect(await link.stats!()).toBeNull();
    void ok(rs).close();
  });

  it('survives the relay losing signals and dropping every socket mid-negotiation', async () => {
    let n = 0;
    const e = await setup(() => {
      if (++n !== 3) return;
      setTimeout(() => relay!.dropAll(), 0); // a relay restart: this blob and the sockets are gone
      return null;
    });
    const [rs, rc] = await Promise.all([openLink(serverOpts(e)), openLink(clientOpts(e))]);
    expect(n).toBeGreaterThan(3);
    ok(rs);
    ok(rc);
  });

  it('a peer that vanishes mid-negotiation (page reload) is replaced by its next attempt', async () => {
    const e = await setup();
    const server = openLink(serverOpts(e));
    const gone = openLink(clientOpts(e, { wrtc: stuckWrtc, timeoutMs: 3000 })); // never connects
    await new Promise((r) => setTimeout(r, 500));
    e.sigB.close(); // the page is gone: its socket leaves the room without a word
    const sigB2 = new SignalingClient(relay!.url, { WebSocket: WebSocket as unknown as WebSocketConstructor });
    clients.push(sigB2);
    const [rs, rc] = await Promise.all([server, openLink(clientOpts(e, { signaling: sigB2 }))]);
    expect(ok(rs).remotePublicKey).toEqual(e.client.publicKey);
    ok(rc);
    expect((await gone).ok).toBe(false);
  });

  it('survives the relay dropping every socket during the rendezvous', async () => {
    const e = await setup();
    const pc = openLink(clientOpts(e));
    await new Promise((r) => setTimeout(r, 200));
    relay!.dropAll();
    const [rs, rc] = await Promise.all([openLink(serverOpts(e)), pc]);
    ok(rs);
    ok(rc);
  });
});
