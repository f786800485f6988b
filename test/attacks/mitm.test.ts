/**
 * Attack: a relay operator who holds the invite link (it leaked) puts himself in the middle of
 * the WebRTC connection (test/support/hostile-relay.ts). Claim under test (DESIGN.md "handshake"):
 * because both DTLS certificate fingerprints are bound into the secret handshake's network key,
 * such a relay makes the handshake fail on both sides, and no app message passes.
 * Real relay, real node-datachannel WebRTC on 127.0.0.1, real openLink.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHostileRelay, type HostileMode, type HostileRelay } from '../support/hostile-relay';
import { Meetings, chat, random, received, type Person } from './meeting';
import type { LinkResult } from '../../src/net/link';
import { networkKeyFromFingerprints } from '../../src/core/shs';
import { nodeWrtc } from '../support/wrtc';
import { handshakeOver, rawMeeting } from './raw-meeting';

let relay: HostileRelay | null = null;
const meetings = new Meetings();
afterEach(async () => {
  await meetings.closeAll();
  await relay?.close();
  relay = null;
});

async function attackedMeeting(mode: HostileMode, hideFailures = false, spoofFingerprints = false, timeoutMs?: number) {
  relay = await startHostileRelay({ mode, hideFailures, spoofFingerprints });
  const secret = random(32);
  await relay.target(secret); // the leaked rendezvous secret
  const alice = meetings.person('Alice', relay.signalUrl);
  const bob = meetings.person('Bob', relay.signalUrl);
  const r = await meetings.meet({ server: alice, client: bob, secret, ...(timeoutMs ? { timeoutMs } : {}) });
  return { alice, bob, ...r, stats: relay.stats };
}

/** If a link did come up, try to get a message across; returns what the peers received. */
async function trySend(from: LinkResult, to: Person, text: string): Promise<boolean> {
  if (!from.ok) return false;
  await from.link.send(chat(text));
  await Promise.race([
    received(to, (m) => m.type === 'chat' && m.text === text),
    new Promise((r) => setTimeout(r, 1500)),
  ]);
  return to.received.some((m) => m.type === 'chat' && m.text === text);
}

describe('a relay in the middle of the WebRTC connection', () => {
  it('control: the same harness only re-sealing the signals lets the meeting succeed and messages pass', async () => {
    const m = await attackedMeeting('reseal');
    expect(m.server.ok && m.client.ok).toBe(true);
    // It really opened and re-sealed this meeting's signals (hello, offer, answer, candidates).
    expect(m.stats.opened).toBeGreaterThanOrEqual(4);
    expect(m.stats.sealed).toBe(m.stats.opened);
    expect(m.stats.intercepted).toBe(0);
    expect(await trySend(m.client, m.alice, 'control: through an honest path')).toBe(true);
    expect(await trySend(m.server, m.bob, 'control: and back')).toBe(true);
  });

  it('with the invite leaked and both DTLS legs swapped: the handshake fails on both sides and nothing passes', async () => {
    const m = await attackedMeeting('mitm');
    // The attack went as far as it can: each victim had a data channel to the relay, and the
    // relay carried their handshake bytes across.
    expect(m.stats.intercepted).toBeGreaterThanOrEqual(1);
    expect(m.stats.bridgesOpened).toBeGreaterThanOrEqual(1);
    expect(m.stats.relayedMessages).toBeGreaterThanOrEqual(1);

    for (const r of [m.server, m.client]) {
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.code).toBe('LINK_HANDSHAKE_FAILED');
      expect(r.message).toMatch(/could not be verified — someone may be interfering/);
    }
    expect(!m.server.ok && m.server.side).toBe('server');
    expect(!m.client.ok && m.client.side).toBe('client');
    expect(await trySend(m.client, m.alice, 'secret plans')).toBe(false);
    expect(await trySend(m.server, m.bob, 'more secret plans')).toBe(false);
    expect([...m.alice.received, ...m.bob.received]).toEqual([]);
  });

  it("a relay that writes the victims' real fingerprints into its SDP (so the bound keys would match) gets no data channel at all: DTLS checks the certificate", async () => {
    const m = await attackedMeeting('mitm', false, true, 8000);
    expect(m.stats.spoofed).toBeGreaterThanOrEqual(1);
    expect(m.stats.bridgesOpened).toBe(0);
    expect(m.stats.relayedMessages).toBe(0);
    for (const r of [m.server, m.client]) {
      expect(r.ok).toBe(false);
      // No data channel: the attempt dies at step 'webrtc' (libdatachannel reports the DTLS
      // failure only as a connection that never opens, so the attempt times out).
      if (!r.ok)
        expect([r.step, ['LINK_WEBRTC_FAILED', 'LINK_CLOSED', 'LINK_TIMEOUT'].includes(r.code)]).toEqual([
          'webrtc',
          true,
        ]);
    }
    expect([...m.alice.received, ...m.bob.received]).toEqual([]);
  });

  it('a relay that also hides every failure notice and hang-up: each side still fails the handshake on its own', async () => {
    const m = await attackedMeeting('mitm', true);
    expect(m.stats.bridgesOpened).toBeGreaterThanOrEqual(1);
    expect(m.stats.hidden).toBeGreaterThanOrEqual(1); // the server's "bye: handshake failed" never reached the client
    expect([!m.server.ok && m.server.code, !m.client.ok && m.client.code]).toEqual([
      'LINK_HANDSHAKE_FAILED',
      'LINK_HANDSHAKE_FAILED',
    ]);
    expect(!m.client.ok && m.client.message).toMatch(/someone may be interfering/);
    expect([...m.alice.received, ...m.bob.received]).toEqual([]);
  });
});

/**
 * The same relay against the bare data channel (raw-meeting.ts), with the handshake's network
 * key chosen by the test: what does binding the DTLS fingerprints add?
 */
describe('what binding the DTLS fingerprints into the handshake adds', () => {
  async function rawPair(mode: HostileMode) {
    relay = await startHostileRelay({ mode });
    for (let attempt = 1; ; attempt++) {
      const secret = random(32);
      await relay.target(secret);
      const alice = meetings.person('Alice', relay.signalUrl);
      const bob = meetings.person('Bob', relay.signalUrl);
      const meet = Promise.all([
        rawMeeting({ signaling: alice.signaling, secret, wrtc: nodeWrtc }),
        rawMeeting({ signaling: bob.signaling, secret, wrtc: nodeWrtc }),
      ]);
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no data channel within 10 s')), 10_000),
      );
      try {
        const [a, b] = await Promise.race([meet, timeout]);
        const fa = a.fingerprints(),
          fb = b.fingerprints();
        if (!fa.ok || !fb.ok) throw new Error('no fingerprints');
        return {
          alice,
          bob,
          a,
          b,
          fa,
          fb,
          destroy: () => {
            a.destroy();
            b.destroy();
          },
        };
      } catch (e) {
        // node-datachannel's occasional set-up failure (see meeting.ts): a fresh room, once more.
        meet.then(
          ([a, b]) => {
            a.destroy();
            b.destroy();
          },
          () => {},
        );
        if (attempt === 3) throw e;
      }
    }
  }
  const shs = (p: Awaited<ReturnType<typeof rawPair>>, networkKey: (fp: typeof p.fa) => Uint8Array) =>
    Promise.all([
      handshakeOver(p.a, {
        networkKey: networkKey(p.fa),
        identity: p.alice.identity,
        role: { client: false, authorize: () => true },
      }),
      handshakeOver(p.b, {
        networkKey: networkKey(p.fb),
        identity: p.bob.identity,
        role: { client: true, serverPublicKey: p.alice.identity.publicKey },
      }),
    ]);
  const bound = (fp: { local: Uint8Array; remote: Uint8Array }) => networkKeyFromFingerprints(fp.local, fp.remote);
  const fixedKey = random(32);

  it('control: an honest path gives both sides the same fingerprint pair, and the bound handshake succeeds', async () => {
    const p = await rawPair('reseal');
    expect(p.fa.remote).toEqual(p.fb.local);
    expect(p.fb.remote).toEqual(p.fa.local);
    const [s, c] = await shs(p, bound);
    expect(s.ok && c.ok).toBe(true);
    expect(s.ok && s.session?.remotePublicKey).toEqual(p.bob.identity.publicKey);
    p.destroy();
  });

  it('the relay in the middle is invisible to a handshake with a plain network key: it completes', async () => {
    const p = await rawPair('mitm');
    // Each side is talking DTLS with the relay's certificates, not the other's.
    expect(p.fa.remote).not.toEqual(p.fb.local);
    expect(p.fb.remote).not.toEqual(p.fa.local);
    const [s, c] = await shs(p, () => fixedKey);
    // The relay carried all four messages and both sides think they are connected: without the
    // binding, nothing in the handshake would notice the relay holding the data channel.
    expect(s.ok && c.ok).toBe(true);
    expect(relay!.stats.relayedMessages).toBeGreaterThanOrEqual(4);
    p.destroy();
  });

  it('with the fingerprints bound into the network key, the same relay makes the handshake fail at its first message', async () => {
    const p = await rawPair('mitm');
    expect(bound(p.fa)).not.toEqual(bound(p.fb));
    const [s, c] = await shs(p, bound);
    expect(s.ok).toBe(false);
    expect(!s.ok && s.code).toBe('SHS_MSG1_BAD_HMAC');
    expect(c.ok).toBe(false);
    expect(c.session).toBeUndefined();
    p.destroy();
  });
});
