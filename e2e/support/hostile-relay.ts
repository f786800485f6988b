/**
 * A hostile relay for the interference test: the real relay (`createRelay`) serving the app,
 * whose operator also holds an invite link (the test hands it over, as a leaked link would).
 * With the rendezvous secret it opens the sealed signals of that invite's room and puts itself
 * in the middle: the offer from one browser never reaches the other; instead a node WebRTC peer
 * (node-datachannel through simple-peer, bound to 127.0.0.1) answers it, a second node peer
 * makes its own offer to the other browser, and every data-channel message is relayed both
 * ways. Each browser then has a working data channel — to the man in the middle, with his DTLS
 * certificate. The secret handshake binds both fingerprints into its network key, so it must
 * fail, and the test checks that it does and that the app says so.
 */
import WebSocket from 'ws';
import { createRelay, type Relay } from '../../server/relay';
import { parseInvite } from '../../src/core/invite';
import { decodeSignal, encodeSignal, openSignal, roomId, sealSignal, type SignalEnvelope } from '../../src/core/rendezvous';
import { DataPeer, type PeerSignal } from '../../src/net/peer';
import { nodeWrtc } from '../../test/support/wrtc';

export interface HostileRelay {
  url: string;
  /** Gives the operator an invite link: from now on that room is attacked. */
  attack(inviteLink: string): Promise<void>;
  /** Data-channel messages carried from one browser to the other, and sessions intercepted. */
  readonly stats: { intercepted: number; relayedMessages: number; bridgesOpened: number };
  close(): Promise<void>;
}

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

export async function startHostileRelay(port: number): Promise<HostileRelay> {
  let secret: Uint8Array | null = null;
  let room: string | null = null;
  const injected = new Set<string>();
  const stats = { intercepted: 0, relayedMessages: 0, bridgesOpened: 0 };
  const sessions = new Map<string, { toOfferer: DataPeer; toAnswerer: DataPeer }>();
  let ws: WebSocket | null = null;

  const inject = (e: SignalEnvelope) => {
    if (!secret || !room || ws?.readyState !== WebSocket.OPEN) return;
    const data = b64url(sealSignal(secret, encodeSignal(e), random));
    injected.add(data);
    ws.send(JSON.stringify({ type: 'publish', room, data }));
  };

  /** Answers `offerer` in the answerer's name and offers to `answerer` in the offerer's name. */
  const intercept = (offerer: string, answerer: string, offer: PeerSignal) => {
    stats.intercepted++;
    const toOfferer = new DataPeer({ initiator: false, iceServers: [], wrtc: nodeWrtc });
    const toAnswerer = new DataPeer({ initiator: true, iceServers: [], wrtc: nodeWrtc });
    sessions.set(`${offerer}>${answerer}`, { toOfferer, toAnswerer });
    toOfferer.onSignal((s) => inject({ kind: s.type ?? 'candidate', from: answerer, to: offerer, payload: s }));
    toAnswerer.onSignal((s) => inject({ kind: s.type ?? 'candidate', from: offerer, to: answerer, payload: s }));
    void Promise.all([toOfferer.connected, toAnswerer.connected]).then(() => {
      stats.bridgesOpened++;
      toOfferer.onMessage((m) => { stats.relayedMessages++; if (!toAnswerer.closed) toAnswerer.send(m); });
      toAnswerer.onMessage((m) => { stats.relayedMessages++; if (!toOfferer.closed) toOfferer.send(m); });
    }, () => {});
    toOfferer.onClose(() => toAnswerer.destroy());
    toAnswerer.onClose(() => toOfferer.destroy());
    toOfferer.signal(offer);
  };

  const relay: Relay = createRelay({
    port, host: '127.0.0.1', staticDir: 'dist', logLevel: 'warn',
    onForward: (r, data) => {
      if (r !== room || !secret || injected.has(data)) return undefined;
      const opened = openSignal(secret, new Uint8Array(Buffer.from(data, 'base64url')));
      if (!opened.ok) return undefined;
      const d = decodeSignal(opened.plaintext);
      if (!d.ok) return undefined;
      const e = d.envelope;
      if (e.kind === 'hello' || e.kind === 'bye' || !e.to) return undefined; // let them find each other
      const payload = e.payload as PeerSignal;
      if (e.kind === 'offer') { intercept(e.from, e.to, payload); return null; }
      // The answer and candidates of the real browsers go to our peers, never to each other.
      const asOfferer = sessions.get(`${e.from}>${e.to}`);
      const asAnswerer = sessions.get(`${e.to}>${e.from}`);
      if (asOfferer) asOfferer.toOfferer.signal(payload);
      else if (asAnswerer) asAnswerer.toAnswerer.signal(payload);
      return null;
    },
  });
  const { url } = await relay.listen(port, '127.0.0.1');

  return {
    url,
    stats,
    async attack(link: string) {
      const parsed = parseInvite(link, Date.now());
      if (!parsed.ok) throw new Error(`hostile relay: cannot read the invite: ${parsed.message}`);
      secret = parsed.invite.rendezvousSecret;
      room = roomId(secret);
      ws = new WebSocket(`${url.replace(/^http/, 'ws')}/signal`);
      await new Promise<void>((resolve, reject) => { ws!.once('open', () => resolve()); ws!.once('error', reject); });
      ws.on('message', () => {}); // what the room says to us is of no interest
      ws.send(JSON.stringify({ type: 'subscribe', room }));
    },
    async close() {
      for (const s of sessions.values()) { s.toOfferer.destroy(); s.toAnswerer.destroy(); }
      ws?.close();
      await relay.close();
    },
  };
}
