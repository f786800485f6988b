/**
 * `openLink`: meet a peer at a rendezvous, open a WebRTC data channel, verify it with the
 * secret handshake (DTLS fingerprints bound into the network key), then confirm keys both ways
 * through secure frames. The sequence and its failure codes are in docs/net.md.
 * @module
 */
import { failure, type Failure, type Side } from '../core/errors';
import { FrameChannel } from '../core/frames';
import { decodeSignal, encodeSignal, openSignal, roomId, sealSignal, type SignalEnvelope } from '../core/rendezvous';
import {
  ShsClient,
  ShsServer,
  networkKeyFromFingerprints,
  type Ed25519KeyPair,
  type ShsSession,
  type ShsStep,
} from '../core/shs';
import { DataPeer, type PeerSignal } from './peer';
import { FramedLink, type SecureLink } from './secure-link';
import { toBase64url, type RoomEvent, type SignalingClient } from './signaling';

export type { SecureLink, LinkCloseEvent } from './secure-link';

export type LinkErrorCode =
  | 'LINK_TIMEOUT'
  | 'LINK_HANDSHAKE_FAILED'
  | 'LINK_WEBRTC_FAILED'
  | 'LINK_CLOSED'
  | 'LINK_ABORTED'
  | 'LINK_SIGNALING_CLOSED';

export interface LinkOptions {
  signaling: SignalingClient;
  /** room = roomId(secret); every signal (SDP, ICE) is sealed with it. */
  rendezvousSecret: Uint8Array;
  identity: Ed25519KeyPair;
  shs:
    | { role: 'client'; serverPublicKey: Uint8Array }
    | { role: 'server'; authorize: (clientKey: Uint8Array) => boolean | Promise<boolean> };
  iceServers: RTCIceServer[];
  /** Whole attempt; default 30 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** node tests: node-datachannel's polyfill. */
  wrtc?: unknown;
}

export type LinkResult = { ok: true; link: SecureLink } | Failure<LinkErrorCode>;

/** Where an attempt is; failures name it as their `step`. */
type Phase = 'rendezvous' | 'webrtc' | 'handshake' | 'confirmation';

const TICK_MS = 200;
/** WebRTC attempts per openLink before LINK_WEBRTC_FAILED, and the time one needs at least. */
const MAX_WEBRTC_TRIES = 3;
const RESTART_MIN_LEFT_MS = 3000;
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const SIGNAL_TYPES = new Set(['offer', 'answer', 'candidate']);

const SIGNALING_CLOSED_MESSAGE =
  'the signaling connection to the relay is closed (SignalingClient.close() was called), so the other side cannot be reached — open a new SignalingClient and try again';

const TIMEOUT_MESSAGES: Record<Phase, string> = {
  rendezvous:
    'the other side never showed up at the rendezvous: they may be offline or have not opened the link yet — try again when they are online',
  webrtc:
    'the other side was found but no direct connection could be opened: a firewall or NAT may block it — try another network, or configure a TURN server',
  handshake: 'the connection opened but the other side did not finish the handshake in time — try again',
  confirmation: 'the handshake succeeded but the other side did not confirm its keys in time — try again',
};

/**
 * Opens a verified link to the peer at `rendezvousSecret`. Every exit path unsubscribes from
 * the room and, unless a link is returned, destroys the data channel.
 */
export async function openLink(o: LinkOptions): Promise<LinkResult> {
  checkOptions(o);
  const side: Side = o.shs.role;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const secret = o.rendezvousSecret.slice();
  const room = roomId(secret);
  let me = toBase64url(random(16)); // per WebRTC attempt: a fresh one after a restart
  let webrtcFailures = 0;
  const cleanups: (() => void)[] = [];
  const peerCleanups: (() => void)[] = [];
  let phase: Phase = 'rendezvous';
  let remote: string | null = null;
  let peer: DataPeer | null = null;
  let settled = false;
  let resolveResult!: (r: LinkResult) => void;
  const result = new Promise<LinkResult>((r) => {
    resolveResult = r;
  });

  const finish = (r: LinkResult) => {
    if (settled) return;
    settled = true;
    // Tell the other attempt, so it fails now instead of at its timeout (best effort).
    if (!r.ok && r.code !== 'LINK_CLOSED') {
      try {
        publish(
          remote
            ? { kind: 'bye', from: me, to: remote, payload: { code: r.code } }
            : { kind: 'bye', from: me, payload: { code: r.code } },
        );
      } catch {
        /* not subscribed any more */
      }
    }
    for (const c of [...peerCleanups.splice(0), ...cleanups.splice(0)].reverse()) c();
    if (!r.ok) peer?.destroy();
    resolveResult(r);
  };
  const fail = (code: LinkErrorCode, message: string, step: string = phase) =>
    finish(failure(code, side, step, message));
  const failHandshake = (why: string, code?: string) =>
    fail(
      'LINK_HANDSHAKE_FAILED',
      code === 'SHS_UNAUTHORIZED' || code === 'SHS_AUTHORIZE_ERROR'
        ? `we refused this peer: its key was not authorized (${why})`
        : `this connection could not be verified — someone may be interfering (${why})`,
    );

  if (o.signal?.aborted) return failure('LINK_ABORTED', side, phase, 'the attempt was cancelled before it started');
  // A closed client never reconnects: waiting for the timeout would only hide the mistake.
  if (o.signaling.status === 'closed') return failure('LINK_SIGNALING_CLOSED', side, phase, SIGNALING_CLOSED_MESSAGE);

  // --- signaling: sealed envelopes in the rendezvous room ----------------------------------
  const publish = (e: SignalEnvelope) => {
    const blob = sealSignal(secret, encodeSignal(e), random);
    // Dropped while the socket is down; the 'subscribed' handler below recovers from that.
    o.signaling.publish(room, blob);
  };
  const hello = (to?: string) =>
    publish(to ? { kind: 'hello', from: me, to, payload: null } : { kind: 'hello', from: me, payload: null });

  const startPeer = (initiator: boolean) => {
    phase = 'webrtc';
    const p = new DataPeer({ initiator, iceServers: o.iceServers, wrtc: o.wrtc });
    peer = p;
    peerCleanups.push(
      p.onSignal((s) => {
        if (remote)
          publish({ kind: SIGNAL_TYPES.has(s.type ?? '') ? s.type! : 'candidate', from: me, to: remote, payload: s });
      }),
    );
    peerCleanups.push(
      p.onClose((err) => {
        if (phase !== 'webrtc' || p !== peer) return;
        const why = err?.message ? ` (${err.message})` : '';
        // A transient WebRTC failure: both sides start over with fresh session ids, while time is left.
        if (++webrtcFailures < MAX_WEBRTC_TRIES && deadline - Date.now() > RESTART_MIN_LEFT_MS) {
          if (remote) publish({ kind: 'restart', from: me, to: remote, payload: null });
          restart();
          return;
        }
        fail(
          'LINK_WEBRTC_FAILED',
          `the direct connection failed before it opened${why} — a firewall may block it; try again or use another network`,
        );
      }),
    );
    p.connected.then(
      () => {
        if (!settled && p === peer)
          runHandshake(p).catch((e: unknown) => failHandshake(`internal error: ${String(e)}`));
      },
      () => {
        /* reported by onClose */
      },
    );
  };

  /** Drops the current WebRTC attempt and meets the peer again under a new session id. */
  const restart = () => {
    for (const c of peerCleanups.splice(0)) c();
    peer?.destroy();
    peer = null;
    remote = null;
    phase = 'rendezvous';
    me = toBase64url(random(16));
    hello();
  };

  const onRoom = (e: RoomEvent) => {
    if (settled) return;
    if (e.type === 'subscribed') {
      // (Re)joined the room, e.g. after the relay dropped our socket (rate limit, restart):
      // signals in flight then may be lost. Before the data channel opens, start the attempt
      // over (new session ids on both sides) rather than wait for a signal that may never come.
      if (remote && (phase === 'rendezvous' || phase === 'webrtc')) {
        publish({ kind: 'restart', from: me, to: remote, payload: null });
        restart();
        return;
      }
      if (!remote) hello();
      return;
    }
    if (e.type === 'peer-joined') {
      if (!remote) hello();
      return;
    }
    if (e.type === 'peer-left') {
      // Maybe the attempt we were negotiating with is gone (the page was reloaded, the app
      // closed) before the channel opened; a successful peer leaves only after we confirmed.
      // Start over so that its next attempt (or anyone else's) can find us.
      if (remote && (phase === 'rendezvous' || phase === 'webrtc')) restart();
      return;
    }
    if (e.type !== 'message') return;
    const opened = openSignal(secret, e.data);
    if (!opened.ok) {
      // Room ids are hashes of the secret: a blob in our room that does not open was altered.
      failHandshake(`signaling data was altered in transit: ${opened.message}`);
      return;
    }
    const d = decodeSignal(opened.plaintext);
    if (!d.ok || d.envelope.from === me) return; // a peer with a bug, or our own echo
    const env = d.envelope;
    if (env.to !== undefined && env.to !== me) return; // meant for another attempt
    if (env.kind === 'bye') {
      // An unaddressed bye comes from an attempt that had met nobody; it concerns us only if
      // its sender is the attempt we committed to. Without that check a relay replaying the bye
      // of an earlier lonely attempt could end every fresh attempt before it met anyone.
      if (env.to === undefined ? env.from !== remote : env.from !== (remote ?? env.from)) return;
      const code = (env.payload as { code?: unknown } | null)?.code;
      if (code === 'LINK_HANDSHAKE_FAILED')
        failHandshake('the other side reported that it could not verify this connection');
      else
        fail(
          'LINK_CLOSED',
          `the other side gave up (${typeof code === 'string' ? code : 'no reason given'}) — try again`,
        );
      return;
    }
    if (env.kind === 'restart') {
      if (env.to === me && env.from === remote && (phase === 'rendezvous' || phase === 'webrtc')) restart();
      return;
    }
    if (env.kind === 'hello') {
      // An announcement may be a relay replaying a hello from an earlier meeting (it is sealed
      // with the same secret), so it commits us to nothing: we answer it with a hello addressed
      // to its session id. A hello addressed to *our* session id (16 fresh random bytes per
      // attempt, sealed) proves its sender is live in this attempt: only then do we commit, and
      // we answer once so that it can commit to us too. Replies to replies are not answered
      // (remote is set by then), so this cannot ping-pong.
      if (env.to === undefined) {
        if (remote === null || env.from === remote) hello(env.from);
        return;
      }
      if (remote === null) {
        remote = env.from;
        hello(remote);
        if (me < remote) startPeer(true); // fixed rule: the lower session id makes the offer
      }
      return;
    }
    if (!SIGNAL_TYPES.has(env.kind) || env.to !== me || !isPeerSignal(env.payload)) return;
    if (remote === null) remote = env.from; // addressed to our session id, so live; its hello was lost
    if (env.from !== remote) return;
    if (!peer) {
      if (env.kind !== 'offer' || me < remote) return; // only the lower id offers
      startPeer(false);
    }
    peer!.signal(env.payload);
  };

  // --- SHS over the data channel, then key confirmation ------------------------------------
  const runHandshake = async (p: DataPeer) => {
    phase = 'handshake';
    const fp = p.fingerprints();
    if (!fp.ok) {
      failHandshake(fp.message);
      return;
    }
    const networkKey = networkKeyFromFingerprints(fp.local, fp.remote);
    const now = Date.now();
    // Ends before the attempt's deadline so that a peer that goes silent mid-handshake is reported
    // as what it is (LINK_HANDSHAKE_FAILED from SHS) rather than as a plain LINK_TIMEOUT.
    const shsTimeout = Math.max(1000, Math.min(10_000, deadline - now - 500));
    const shs =
      o.shs.role === 'client'
        ? new ShsClient({
            networkKey,
            identity: o.identity,
            serverPublicKey: o.shs.serverPublicKey,
            now,
            timeoutMs: shsTimeout,
          })
        : new ShsServer({ networkKey, identity: o.identity, authorize: o.shs.authorize, now, timeoutMs: shsTimeout });
    let session: ShsSession | null = null;
    let rest: Uint8Array | undefined; // bytes that came glued to the last SHS message
    let frames: FrameChannel | null = null;
    let link: FramedLink | null = null;
    let tail: Promise<unknown> = Promise.resolve();

    const step = (r: ShsStep | null): boolean => {
      if (!r) return true;
      if (!r.ok) {
        failHandshake(r.message, r.code);
        return false;
      }
      if (r.send) p.send(r.send);
      if (r.session) {
        session = r.session;
        rest = (r as { rest?: Uint8Array }).rest;
      }
      return true;
    };
    const onFrame = async (bytes: Uint8Array) => {
      const r = await frames!.open(bytes);
      if (!r.ok) {
        failHandshake(r.message);
        return;
      }
      if (r.kind !== 'confirmed') {
        failHandshake(`expected the key confirmation, got a ${r.kind} frame`);
        return;
      }
      link = new FramedLink(p, frames!, session!.remotePublicKey.slice(), session!.handshakeSecret.slice());
      finish({ ok: true, link });
    };
    const handle = async (bytes: Uint8Array) => {
      if (link) {
        link.receive(bytes);
        return;
      }
      if (settled) return;
      if (phase === 'handshake') {
        if (!step(await shs.receive(bytes, Date.now()))) return;
        if (session) await beginConfirmation();
        return;
      }
      await onFrame(bytes);
    };
    const beginConfirmation = async () => {
      phase = 'confirmation';
      frames = await FrameChannel.create(session!);
      if (settled) return;
      p.send(await frames.confirmation());
      if (rest?.length) await onFrame(rest);
    };

    // These two stay for the link's lifetime (on failure the peer is destroyed anyway).
    p.onMessage((bytes) => {
      tail = tail.then(() => handle(bytes)).catch((e: unknown) => failHandshake(`internal error: ${String(e)}`));
    });
    p.onClose(() => {
      tail = tail.then(() => {
        if (link) {
          link.transportClosed();
          return;
        }
        if (settled) return;
        const closed = (shs as { closed?: () => ShsStep | null }).closed?.();
        failHandshake(
          closed && !closed.ok
            ? closed.message
            : `the other side hung up during the ${phase}: it refused our identity, or it is not who we expected`,
        );
      });
    });
    const ticker = setInterval(() => {
      if (!session && !settled) step(shs.tick(Date.now()));
    }, TICK_MS);
    cleanups.push(() => clearInterval(ticker));
    if (shs instanceof ShsClient) step(await shs.start());
  };

  // --- wiring, timeout, abort --------------------------------------------------------------
  cleanups.push(o.signaling.onRoom(room, onRoom));
  o.signaling.subscribe(room);
  cleanups.push(() => o.signaling.unsubscribe(room));
  const timer = setTimeout(() => fail('LINK_TIMEOUT', TIMEOUT_MESSAGES[phase]), Math.max(0, deadline - Date.now()));
  cleanups.push(() => clearTimeout(timer));
  // Closed for good while we still need the relay (before the data channel opened).
  cleanups.push(
    o.signaling.onStatus((st) => {
      if (st === 'closed' && (phase === 'rendezvous' || phase === 'webrtc'))
        fail('LINK_SIGNALING_CLOSED', SIGNALING_CLOSED_MESSAGE);
    }),
  );
  if (o.signal) {
    const onAbort = () => fail('LINK_ABORTED', 'the attempt was cancelled');
    o.signal.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => o.signal!.removeEventListener('abort', onAbort));
  }
  hello(); // dropped if the socket is not open yet; repeated when the relay confirms the room
  return result;
}

function isPeerSignal(p: unknown): p is PeerSignal {
  if (typeof p !== 'object' || p === null) return false;
  const s = p as Record<string, unknown>;
  if (s.type === 'offer' || s.type === 'answer') return typeof s.sdp === 'string' && s.sdp.length < 30_000;
  if (s.type === 'candidate') {
    const c = s.candidate as Record<string, unknown> | null;
    return typeof c === 'object' && c !== null && typeof c.candidate === 'string';
  }
  return false;
}

function checkOptions(o: LinkOptions): void {
  if (!o || typeof o !== 'object') throw new TypeError('openLink: options required');
  if (!o.signaling || typeof o.signaling.subscribe !== 'function')
    throw new TypeError('openLink: opts.signaling must be a SignalingClient');
  if (!(o.rendezvousSecret instanceof Uint8Array) || o.rendezvousSecret.length !== 32)
    throw new TypeError('openLink: opts.rendezvousSecret must be 32 bytes');
  if (!o.identity || !(o.identity.publicKey instanceof Uint8Array) || o.identity.publicKey.length !== 32)
    throw new TypeError('openLink: opts.identity must be an Ed25519 key pair');
  if (!Array.isArray(o.iceServers))
    throw new TypeError('openLink: opts.iceServers must be an array (pass [] for none)');
  if (o.shs?.role === 'client') {
    if (!(o.shs.serverPublicKey instanceof Uint8Array) || o.shs.serverPublicKey.length !== 32)
      throw new TypeError('openLink: opts.shs.serverPublicKey must be 32 bytes');
  } else if (o.shs?.role !== 'server' || typeof o.shs.authorize !== 'function') {
    throw new TypeError(
      "openLink: opts.shs must be { role: 'client', serverPublicKey } or { role: 'server', authorize }",
    );
  }
  if (o.timeoutMs !== undefined && !(o.timeoutMs > 0)) throw new TypeError('openLink: opts.timeoutMs must be positive');
}
