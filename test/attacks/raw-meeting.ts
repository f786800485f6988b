/**
 * A bare meeting for the attack tests: the rendezvous and WebRTC part of src/net/link.ts (sealed
 * hello/offer/answer/candidate envelopes, the lower session id offers) without the handshake,
 * so a test can run the secret handshake over the resulting data channel with a network key of
 * its choosing. It lets a test show what the fingerprint binding adds: the same data channel,
 * the same relay, a plain network key.
 */
import {
  decodeSignal,
  encodeSignal,
  openSignal,
  roomId,
  sealSignal,
  type SignalEnvelope,
} from '../../src/core/rendezvous';
import { ShsClient, ShsServer, type Ed25519KeyPair, type ShsSession, type ShsStep } from '../../src/core/shs';
import { DataPeer, type PeerSignal } from '../../src/net/peer';
import { toBase64url, type SignalingClient } from '../../src/net/signaling';
import { random } from './meeting';

const SIGNAL_KINDS = new Set(['offer', 'answer', 'candidate']);

/** Meets the other side at `secret` and resolves with the open data channel. */
export function rawMeeting(o: { signaling: SignalingClient; secret: Uint8Array; wrtc: unknown }): Promise<DataPeer> {
  const room = roomId(o.secret);
  const me = toBase64url(random(16));
  let remote: string | null = null;
  let peer: DataPeer | null = null;
  const publish = (e: SignalEnvelope) => o.signaling.publish(room, sealSignal(o.secret, encodeSignal(e), random));
  const hello = (to?: string) =>
    publish(to ? { kind: 'hello', from: me, to, payload: null } : { kind: 'hello', from: me, payload: null });
  return new Promise<DataPeer>((resolve, reject) => {
    const start = (initiator: boolean) => {
      const p = new DataPeer({ initiator, iceServers: [], wrtc: o.wrtc });
      peer = p;
      p.onSignal((s) =>
        publish({ kind: SIGNAL_KINDS.has(s.type ?? '') ? s.type! : 'candidate', from: me, to: remote!, payload: s }),
      );
      p.connected.then(
        () => {
          off();
          o.signaling.unsubscribe(room);
          resolve(p);
        },
        (e: unknown) => {
          off();
          reject(e as Error);
        },
      );
    };
    const off = o.signaling.onRoom(room, (e) => {
      if (e.type === 'subscribed' || e.type === 'peer-joined') {
        if (!remote) hello();
        return;
      }
      if (e.type !== 'message') return;
      const opened = openSignal(o.secret, e.data);
      if (!opened.ok) return;
      const d = decodeSignal(opened.plaintext);
      if (!d.ok || d.envelope.from === me || (d.envelope.to !== undefined && d.envelope.to !== me)) return;
      const env = d.envelope;
      if (env.kind === 'hello') {
        if (remote === null) {
          remote = env.from;
          if (me < remote) start(true);
        }
        if (env.from === remote && env.to === undefined) hello(remote);
        return;
      }
      if (!SIGNAL_KINDS.has(env.kind) || env.to !== me) return;
      remote ??= env.from;
      if (env.from !== remote) return;
      if (!peer) {
        if (env.kind !== 'offer') return;
        start(false);
      }
      try {
        peer!.signal(env.payload as PeerSignal);
      } catch (e) {
        // node-datachannel's occasional "remote candidate without ICE transport" (docs/attack-harnesses.md)
        off();
        reject(e as Error);
      }
    });
    o.signaling.subscribe(room);
  });
}

/** Runs one side of SHS over `peer`; resolves with the session or the failure. */
export function handshakeOver(
  peer: DataPeer,
  o: {
    networkKey: Uint8Array;
    identity: Ed25519KeyPair;
    role: { client: true; serverPublicKey: Uint8Array } | { client: false; authorize: (k: Uint8Array) => boolean };
  },
): Promise<ShsStep & { session?: ShsSession }> {
  const now = Date.now();
  const shs = o.role.client
    ? new ShsClient({ networkKey: o.networkKey, identity: o.identity, serverPublicKey: o.role.serverPublicKey, now })
    : new ShsServer({ networkKey: o.networkKey, identity: o.identity, authorize: o.role.authorize, now });
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: ShsStep) => {
      if (!done) {
        done = true;
        clearInterval(ticker);
        resolve(r);
      }
    };
    const step = (r: ShsStep | null) => {
      if (!r) return;
      if (!r.ok) {
        finish(r);
        peer.destroy();
        return;
      } // as openLink does: hang up
      if (r.send && !peer.closed) peer.send(r.send);
      if (r.session) finish(r);
    };
    let tail: Promise<unknown> = Promise.resolve();
    peer.onMessage((bytes) => {
      tail = tail.then(async () => {
        if (!done) step(await shs.receive(bytes, Date.now()));
      });
    });
    peer.onClose(() => {
      tail = tail.then(() =>
        finish({
          ok: false,
          code: 'SHS_CLOSED',
          side: o.role.client ? 'client' : 'server',
          step: 'transport',
          message: 'the data channel closed during the handshake',
        } as never),
      );
    });
    const ticker = setInterval(() => step(shs.tick(Date.now())), 100);
    if (shs instanceof ShsClient) void shs.start().then(step);
  });
}
