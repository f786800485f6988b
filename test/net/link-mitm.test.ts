/**
 * Attack test: a man in the middle who knows the rendezvous secret (a relay operator who saw the
 * invite link, say) answers each side's offer with its own WebRTC peer and pipes the two data
 * channels together. Each victim's DTLS session then ends at the attacker, the two sides bind
 * different fingerprint pairs into their SHS network keys, and the handshake must fail.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity } from '../../src/core/identity';
import { openLink, type LinkOptions } from '../../src/net/link';
import { DataPeer, type PeerSignal } from '../../src/net/peer';
import type { RoomEvent, SignalingClient } from '../../src/net/signaling';
import { decodeSignal, encodeSignal, openSignal, roomId, sealSignal } from '../../src/core/rendezvous';
import { nodeWrtc, warmUpWebRtc } from '../support/wrtc';

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const keyPair = () => generateIdentity(random);

/** What a victim's app believes is the relay; every blob goes to the attacker instead. */
class AttackerSignaling {
  #listeners = new Set<(e: RoomEvent) => void>();
  readonly status = 'open';
  constructor(private readonly attacker: (data: Uint8Array) => void) {}
  onStatus(): () => void {
    return () => {};
  }
  subscribe(): void {
    queueMicrotask(() => this.deliver({ type: 'subscribed', peers: 1 }));
  }
  unsubscribe(): void {}
  publish(_room: string, data: Uint8Array): boolean {
    queueMicrotask(() => this.attacker(data));
    return true;
  }
  onRoom(_room: string, cb: (e: RoomEvent) => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }
  deliver(e: RoomEvent): void {
    for (const cb of [...this.#listeners]) cb(e);
  }
}

/** Plays the WebRTC responder towards one victim under a session id higher than any it picks. */
function impersonate(secret: Uint8Array, name: string) {
  const me = name.repeat(22); // 'z…': the victim's id is lower, so the victim makes the offer
  let victim: string | null = null;
  let peer: DataPeer | null = null;
  const all: DataPeer[] = [];
  let up!: (p: DataPeer) => void;
  const connected = new Promise<DataPeer>((r) => {
    up = r;
  });
  const signaling = new AttackerSignaling((blob) => {
    const opened = openSignal(secret, blob);
    if (!opened.ok) return;
    const d = decodeSignal(opened.plaintext);
    if (!d.ok) return;
    const env = d.envelope;
    if (env.kind === 'hello') {
      if (env.from !== victim) {
        victim = env.from;
        peer = null;
      } // a new attempt (after a WebRTC restart)
      if (env.to === undefined) send({ kind: 'hello', from: me, to: victim, payload: null });
      return;
    }
    if (env.to !== me || env.from !== victim) return;
    if (env.kind === 'offer' && !peer) {
      const p = new DataPeer({ initiator: false, iceServers: [], wrtc: nodeWrtc });
      const to = victim!;
      peer = p;
      all.push(p);
      p.onSignal((s) => send({ kind: s.type ?? 'candidate', from: me, to, payload: s }));
      p.connected.then(
        () => up(p),
        () => {},
      );
    }
    if (['offer', 'answer', 'candidate'].includes(env.kind)) peer?.signal(env.payload as PeerSignal);
  });
  const send = (e: Parameters<typeof encodeSignal>[0]) =>
    signaling.deliver({ type: 'message', data: sealSignal(secret, encodeSignal(e), random) });
  return {
    signaling: signaling as unknown as SignalingClient,
    connected,
    destroy: () => {
      for (const p of all) p.destroy();
    },
  };
}

const attackers: { destroy(): void }[] = [];
afterEach(() => {
  for (const a of attackers.splice(0)) a.destroy();
});
beforeAll(warmUpWebRtc);

describe('openLink against a man in the middle who knows the rendezvous secret', () => {
  it('fails the handshake on both sides: the DTLS fingerprints differ, so the network keys do', async () => {
    const secret = random(32);
    const server = keyPair(),
      client = keyPair();
    const toServer = impersonate(secret, 'z'),
      toClient = impersonate(secret, 'y');
    attackers.push(toServer, toClient);
    // Once both of its data channels are open, the attacker pipes them together byte for byte.
    let piped = 0;
    void Promise.all([toServer.connected, toClient.connected]).then(([a, b]) => {
      a.onMessage((m) => {
        piped++;
        if (!b.closed) b.send(m);
      });
      b.onMessage((m) => {
        piped++;
        if (!a.closed) a.send(m);
      });
    });
    // 12 s: four WebRTC peers must connect first, and CI runs every test file at once on 2 cores.
    const common: Omit<LinkOptions, 'signaling' | 'identity' | 'shs'> = {
      rendezvousSecret: secret,
      iceServers: [],
      wrtc: nodeWrtc,
      timeoutMs: 12_000,
    };
    const [rs, rc] = await Promise.all([
      openLink({
        ...common,
        signaling: toServer.signaling,
        identity: server,
        shs: { role: 'server', authorize: () => true },
      }),
      openLink({
        ...common,
        signaling: toClient.signaling,
        identity: client,
        shs: { role: 'client', serverPublicKey: server.publicKey },
      }),
    ]);
    expect(piped, JSON.stringify([rs, rc])).toBeGreaterThan(0); // the client's msg1 did reach the server through the attacker
    expect(!rs.ok && rs.code).toBe('LINK_HANDSHAKE_FAILED');
    expect(!rs.ok && rs.message).toMatch(/could not be verified — someone may be interfering/);
    expect(!rs.ok && rs.message).toMatch(/msg1.*network key/);
    expect(!rc.ok && rc.code).toBe('LINK_HANDSHAKE_FAILED');
    expect(roomId(secret)).toHaveLength(43);
  });
});
