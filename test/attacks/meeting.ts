/**
 * Shared set-up for the attack tests: two people meeting through a given relay with the real
 * `openLink` (node-datachannel WebRTC on 127.0.0.1), and a WebRTC spy that records every SDP and
 * ICE candidate the peer connections of this process create or receive, so a test knows exactly
 * which secrets the relay must not see.
 */
import { WebSocket } from 'ws';
import { generateIdentity, type Identity } from '../../src/core/identity';
import { openLink, type LinkOptions, type LinkResult, type SecureLink } from '../../src/net/link';
import { SignalingClient, type WebSocketConstructor } from '../../src/net/signaling';
import type { WireMessage } from '../../src/core/wire';
import { nodeWrtc } from '../support/wrtc';

export const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

/** What the spied peer connections of this process saw: SDPs (local and remote) and candidates. */
export interface WebRtcSeen {
  sdp: string[];
  candidates: string[];
}

/** nodeWrtc, with every SDP set and every candidate gathered or added recorded in `seen`. */
export function spiedWrtc(seen: WebRtcSeen = { sdp: [], candidates: [] }): { wrtc: typeof nodeWrtc; seen: WebRtcSeen } {
  class SpiedPeerConnection extends nodeWrtc.RTCPeerConnection {
    constructor(config?: RTCConfiguration) {
      super(config);
      this.addEventListener('icecandidate', (e) => {
        const c = (e as RTCPeerConnectionIceEvent).candidate?.candidate;
        if (c) seen.candidates.push(c);
      });
    }
    override async setLocalDescription(d: RTCSessionDescriptionInit): Promise<void> {
      if ((d as RTCSessionDescriptionInit | undefined)?.sdp) seen.sdp.push(d.sdp!);
      await super.setLocalDescription(d);
      if (this.localDescription?.sdp) seen.sdp.push(this.localDescription.sdp);
    }
    override async setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
      if (d.sdp) seen.sdp.push(d.sdp);
      await super.setRemoteDescription(d);
    }
    override async addIceCandidate(c?: RTCIceCandidateInit | null): Promise<void> {
      if (c?.candidate) seen.candidates.push(c.candidate);
      await super.addIceCandidate(c);
    }
  }
  return { wrtc: { ...nodeWrtc, RTCPeerConnection: SpiedPeerConnection }, seen };
}

export interface Person {
  name: string;
  identity: Identity;
  signaling: SignalingClient;
  /** App messages this person received on any link. */
  received: WireMessage[];
}

/** Everything made here is closed by `closeAll()`. */
export class Meetings {
  readonly #clients: SignalingClient[] = [];
  readonly #links: SecureLink[] = [];
  /** Meetings tried again after a WebRTC set-up failure (see meet()). */
  webrtcRetries = 0;

  person(name: string, signalUrl: string): Person {
    const signaling = new SignalingClient(signalUrl, {
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      minBackoffMs: 50,
    });
    this.#clients.push(signaling);
    return { name, identity: generateIdentity(random), signaling, received: [] };
  }

  /**
   * `server` and `client` meet at `secret` (the client dials the server's key). Links that come
   * up are kept, and every message they carry is appended to the person's `received`.
   */
  async meet(o: {
    server: Person;
    client: Person;
    secret: Uint8Array;
    wrtc?: unknown;
    timeoutMs?: number;
    authorize?: (key: Uint8Array) => boolean;
  }): Promise<{ server: LinkResult; client: LinkResult }> {
    const common = {
      rendezvousSecret: o.secret,
      iceServers: [],
      wrtc: o.wrtc ?? nodeWrtc,
      timeoutMs: o.timeoutMs ?? 20_000,
    };
    const serverOpts: LinkOptions = {
      ...common,
      signaling: o.server.signaling,
      identity: o.server.identity,
      shs: { role: 'server', authorize: o.authorize ?? (() => true) },
    };
    const clientOpts: LinkOptions = {
      ...common,
      signaling: o.client.signaling,
      identity: o.client.identity,
      shs: { role: 'client', serverPublicKey: o.server.identity.publicKey },
    };
    let server: LinkResult, client: LinkResult;
    // node-datachannel on loopback refuses a remote description now and then ("Got a remote
    // candidate without ICE transport", ~1 connection in 30 here, also without any relay in
    // between): one side fails with LINK_WEBRTC_FAILED before any byte of the handshake and
    // tells the other (LINK_CLOSED naming it). Only such an attempt is tried again: every other
    // outcome, the attack's included, is final.
    const isFlake = (r: LinkResult) =>
      !r.ok &&
      r.step === 'webrtc' &&
      (r.code === 'LINK_WEBRTC_FAILED' || (r.code === 'LINK_CLOSED' && r.message.includes('LINK_WEBRTC_FAILED')));
    for (let attempt = 1; ; attempt++) {
      [server, client] = await Promise.all([openLink(serverOpts), openLink(clientOpts)]);
      const flake = isFlake(server) || isFlake(client);
      if (!flake || attempt === 3) break;
      this.webrtcRetries++;
      for (const r of [server, client]) if (r.ok) await r.link.close();
    }
    for (const [r, p] of [
      [server, o.server],
      [client, o.client],
    ] as const) {
      if (!r.ok) continue;
      this.#links.push(r.link);
      r.link.onMessage((m) => p.received.push(m));
    }
    return { server, client };
  }

  async closeAll(): Promise<void> {
    for (const l of this.#links.splice(0)) if (!l.closed) await l.close();
    for (const c of this.#clients.splice(0)) c.close();
  }
}

/** Resolves once `p` has received a message matching `pred` (polls; the test's timeout bounds it). */
export async function received(p: Person, pred: (m: WireMessage) => boolean): Promise<WireMessage> {
  for (;;) {
    const m = p.received.find(pred);
    if (m) return m;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const chat = (text: string, id = `m${Math.floor(Math.random() * 1e9)}`): WireMessage => ({
  type: 'chat',
  id,
  text,
  sentAt: Date.now(),
});
