/**
 * One `openLink` call (link.ts): the rendezvous in the relay room (sealed hellos), the WebRTC
 * tries (offer/answer and candidates, restarted on a transient failure), and the one outcome.
 * Once the data channel opens, `LinkHandshake` (link-handshake.ts) runs handshake and
 * confirmation on it. Sequence, recovery and failure codes: docs/net.md.
 * @module
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { failure, type Side } from '../core/errors';
import { decodeSignal, encodeSignal, openSignal, roomId, sealSignal, type SignalEnvelope } from '../core/rendezvous';
import { asLinkErrorCode, type LinkErrorCode, type LinkOptions, type LinkResult } from './link-types';
import {
  SIGNALING_CLOSED_MESSAGE,
  TIMEOUT_MESSAGES,
  handshakeFailedMessage,
  peerGaveUpMessage,
  webrtcFailedMessage,
} from './link-failures';
import { LinkHandshake, type HandshakeHost, type LinkPhase } from './link-handshake';
import { DataPeer, isPeerSignal, signalKind } from './peer';
import type { SecureLink } from './secure-link';
import { toBase64url, type RoomEvent } from './signaling';

/** WebRTC attempts per openLink before LINK_WEBRTC_FAILED, and the time one needs at least. */
const MAX_WEBRTC_TRIES = 3;
const RESTART_MIN_LEFT_MS = 3000;
const SIGNAL_KINDS = new Set(['offer', 'answer', 'candidate']);
/** The `restart` payload's reason when the sender's WebRTC try failed (older peers send null). */
const WEBRTC_FAILED = 'webrtc-failed';
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** A fresh session id: 16 random bytes, one per WebRTC try (not per person). */
const newSessionId = () => toBase64url(randomBytes(16));

/** One `openLink` call: the rendezvous and the WebRTC tries, and the one outcome. */
export class LinkAttempt implements HandshakeHost {
  readonly #o: LinkOptions;
  readonly #side: Side;
  readonly #deadline: number;
  readonly #secret: Uint8Array;
  readonly #room: string;
  #me = newSessionId();
  /** The peer's session id, once we committed to it. */
  #remote: string | null = null;
  #peer: DataPeer | null = null;
  #phase: LinkPhase = 'rendezvous';
  #webrtcFailures = 0;
  /** A WebRTC try of this attempt failed, ours or the peer's: the two met but found no route. */
  #routeFailed = false;
  #settled = false;
  /** Undone when the attempt ends. */
  readonly #cleanups: (() => void)[] = [];
  /** Undone when the current WebRTC try ends too (restart). */
  readonly #peerCleanups: (() => void)[] = [];
  #resolve: (r: LinkResult) => void = () => {};
  readonly #result = new Promise<LinkResult>((r) => {
    this.#resolve = r;
  });

  constructor(o: LinkOptions) {
    this.#o = o;
    this.#side = o.shs.role;
    this.#deadline = Date.now() + (o.timeoutMs ?? 30_000);
    this.#secret = o.rendezvousSecret.slice();
    this.#room = roomId(this.#secret);
  }

  get settled(): boolean {
    return this.#settled;
  }

  get phase(): LinkPhase {
    return this.#phase;
  }

  /** Joins the room and announces this attempt; resolves once, with a link or a Failure. */
  run(): Promise<LinkResult> {
    const { signal, signaling } = this.#o;
    if (signal?.aborted)
      return Promise.resolve(
        failure('LINK_ABORTED', this.#side, this.#phase, 'the attempt was cancelled before it started'),
      );
    // A closed client never reconnects: waiting for the timeout would only hide the mistake.
    if (signaling.status === 'closed')
      return Promise.resolve(failure('LINK_SIGNALING_CLOSED', this.#side, this.#phase, SIGNALING_CLOSED_MESSAGE));
    this.#watch();
    this.#hello(); // dropped if the socket is not open yet; repeated when the relay confirms the room
    return this.#result;
  }

  /** Until the attempt ends: room events, the deadline, the relay closing for good, the caller's abort. */
  #watch(): void {
    const { signal, signaling } = this.#o;
    this.#cleanups.push(signaling.onRoom(this.#room, (e) => this.#onRoomEvent(e)));
    signaling.subscribe(this.#room);
    this.#cleanups.push(() => signaling.unsubscribe(this.#room));
    const timer = setTimeout(() => this.#timedOut(), Math.max(0, this.#deadline - Date.now()));
    this.#cleanups.push(() => clearTimeout(timer));
    // Closed for good while we still need the relay (before the data channel opened).
    this.#cleanups.push(
      signaling.onStatus((st) => {
        if (st === 'closed' && this.#beforeChannel()) this.#fail('LINK_SIGNALING_CLOSED', SIGNALING_CLOSED_MESSAGE);
      }),
    );
    if (signal) {
      const onAbort = () => this.#fail('LINK_ABORTED', 'the attempt was cancelled');
      signal.addEventListener('abort', onAbort, { once: true });
      this.#cleanups.push(() => signal.removeEventListener('abort', onAbort));
    }
  }

  /** Still meeting: the data channel has not opened, so the relay is needed and a restart is possible. */
  #beforeChannel(): boolean {
    return this.#phase === 'rendezvous' || this.#phase === 'webrtc';
  }

  // --- rendezvous: sealed envelopes in the room --------------------------------------------

  #publish(e: SignalEnvelope): void {
    const blob = sealSignal(this.#secret, encodeSignal(e), randomBytes);
    // Dropped while the socket is down; #onSubscribed recovers from that.
    this.#o.signaling.publish(this.#room, blob);
  }

  #hello(to?: string): void {
    const from = this.#me;
    this.#publish(to ? { kind: 'hello', from, to, payload: null } : { kind: 'hello', from, payload: null });
  }

  #onRoomEvent(e: RoomEvent): void {
    if (this.#settled) return;
    switch (e.type) {
      case 'subscribed':
        return this.#onSubscribed();
      case 'peer-joined':
        if (!this.#remote) this.#hello();
        return;
      case 'peer-left':
        // Maybe the attempt we were negotiating with is gone (the page was reloaded, the app
        // closed) before the channel opened; a successful peer leaves only after we confirmed.
        // Start over so that its next attempt (or anyone else's) can find us.
        if (this.#remote && this.#beforeChannel()) this.#restart();
        return;
      case 'message':
        return this.#onSealed(e.data);
    }
  }

  /**
   * (Re)joined the room, e.g. after the relay dropped our socket (rate limit, restart): signals
   * in flight then may be lost. Before the data channel opens, start the attempt over (new
   * session ids on both sides) rather than wait for a signal that may never come.
   */
  #onSubscribed(): void {
    if (this.#remote && this.#beforeChannel()) this.#restartBoth();
    else if (!this.#remote) this.#hello();
  }

  #onSealed(data: Uint8Array): void {
    const opened = openSignal(this.#secret, data);
    if (!opened.ok) {
      // Room ids are hashes of the secret: a blob in our room that does not open was altered.
      this.failHandshake(`signaling data was altered in transit: ${opened.message}`);
      return;
    }
    const d = decodeSignal(opened.plaintext);
    if (!d.ok || d.envelope.from === this.#me) return; // a peer with a bug, or our own echo
    const env = d.envelope;
    if (env.to !== undefined && env.to !== this.#me) return; // meant for another attempt
    switch (env.kind) {
      case 'bye':
        return this.#onBye(env);
      case 'restart':
        if (env.to !== this.#me || env.from !== this.#remote || !this.#beforeChannel()) return;
        if (isRecord(env.payload) && env.payload.reason === WEBRTC_FAILED) this.#routeFailed = true;
        this.#restart();
        return;
      case 'hello':
        return this.#onHello(env);
      default:
        return this.#onPeerSignal(env);
    }
  }

  /**
   * An unaddressed bye comes from an attempt that had met nobody; it concerns us only if its
   * sender is the attempt we committed to. Without that check a relay replaying the bye of an
   * earlier lonely attempt could end every fresh attempt before it met anyone.
   */
  #onBye(env: SignalEnvelope): void {
    const remote = this.#remote;
    if (env.to === undefined ? env.from !== remote : env.from !== (remote ?? env.from)) return;
    const code = byeCode(env.payload);
    if (code === 'LINK_HANDSHAKE_FAILED')
      this.failHandshake('the other side reported that it could not verify this connection');
    else {
      this.#markRouteFailure();
      this.#fail('LINK_CLOSED', peerGaveUpMessage(code), asLinkErrorCode(code));
    }
  }

  /**
   * An announcement may be a relay replaying a hello from an earlier meeting (it is sealed with
   * the same secret), so it commits us to nothing: we answer it with a hello addressed to its
   * session id. A hello addressed to *our* session id (16 fresh random bytes per attempt,
   * sealed) proves its sender is live in this attempt: only then do we commit, and we answer
   * once so that it can commit to us too. Replies to replies are not answered (remote is set by
   * then), so this cannot ping-pong.
   */
  #onHello(env: SignalEnvelope): void {
    if (env.to === undefined) {
      if (this.#remote === null || env.from === this.#remote) this.#hello(env.from);
      return;
    }
    if (this.#remote !== null) return;
    this.#remote = env.from;
    this.#hello(env.from);
    if (this.#me < env.from) this.#startPeer(true); // fixed rule: the lower session id makes the offer
  }

  // --- webrtc: offer/answer and candidates, restarts -----------------------------------------

  #onPeerSignal(env: SignalEnvelope): void {
    if (!SIGNAL_KINDS.has(env.kind) || env.to !== this.#me || !isPeerSignal(env.payload)) return;
    if (this.#remote === null) this.#remote = env.from; // addressed to our session id, so live; its hello was lost
    if (env.from !== this.#remote) return;
    let peer = this.#peer;
    if (!peer) {
      if (env.kind !== 'offer' || this.#me < this.#remote) return; // only the lower id offers
      peer = this.#startPeer(false);
    }
    peer.signal(env.payload);
  }

  #startPeer(initiator: boolean): DataPeer {
    this.#phase = 'webrtc';
    const { iceServers, iceTransportPolicy, wrtc } = this.#o;
    const p = new DataPeer({ initiator, iceServers, iceTransportPolicy, wrtc });
    this.#peer = p;
    this.#peerCleanups.push(
      p.onSignal((s) => {
        if (this.#remote) this.#publish({ kind: signalKind(s), from: this.#me, to: this.#remote, payload: s });
      }),
    );
    this.#peerCleanups.push(p.onClose((err) => this.#onPeerClosed(p, err)));
    p.connected.then(
      () => {
        if (!this.#settled && p === this.#peer)
          LinkHandshake.begin(p, this, this.#o, this.#deadline).catch((e: unknown) =>
            this.failHandshake(`internal error: ${String(e)}`),
          );
      },
      () => {
        /* reported by onClose */
      },
    );
    return p;
  }

  #onPeerClosed(p: DataPeer, err: Error | undefined): void {
    if (this.#phase !== 'webrtc' || p !== this.#peer) return;
    // A transient WebRTC failure: both sides start over with fresh session ids, while time is left.
    if (++this.#webrtcFailures < MAX_WEBRTC_TRIES && this.#deadline - Date.now() > RESTART_MIN_LEFT_MS) {
      this.#routeFailed = true;
      this.#restartBoth(WEBRTC_FAILED);
      return;
    }
    this.#fail('LINK_WEBRTC_FAILED', webrtcFailedMessage(err));
  }

  /** Asks the peer's attempt to start over too, then starts over. */
  /** `reason`: `webrtc-failed` when our try failed (the peer then knows the two did meet). */
  #restartBoth(reason?: typeof WEBRTC_FAILED): void {
    const payload = reason ? { reason } : null;
    if (this.#remote) this.#publish({ kind: 'restart', from: this.#me, to: this.#remote, payload });
    this.#restart();
  }

  /** Drops the current WebRTC try and meets the peer again under a new session id. */
  #restart(): void {
    for (const c of this.#peerCleanups.splice(0)) c();
    this.#peer?.destroy();
    this.#peer = null;
    this.#remote = null;
    this.#phase = 'rendezvous';
    this.#me = newSessionId();
    this.#hello();
  }

  // --- what the handshake (link-handshake.ts) reports -----------------------------------------

  enter(phase: 'handshake' | 'confirmation'): void {
    this.#phase = phase;
  }

  onFinish(cleanup: () => void): void {
    this.#cleanups.push(cleanup);
  }

  succeed(link: SecureLink): void {
    this.#finish({ ok: true, link });
  }

  failHandshake(why: string, code?: string): void {
    this.#fail('LINK_HANDSHAKE_FAILED', handshakeFailedMessage(why, code));
  }

  // --- the outcome ---------------------------------------------------------------------------

  /**
   * The deadline passed. After a failed WebRTC try the peer was there, so a timeout while meeting
   * again (phase `rendezvous` after the restart) is still "found, but no route": step `webrtc`
   * (`#markRouteFailure`; the same when the peer gives up then).
   */
  #timedOut(): void {
    this.#markRouteFailure();
    this.#fail('LINK_TIMEOUT', TIMEOUT_MESSAGES[this.#phase]);
  }

  /** An attempt ending after a failed WebRTC try ends in the phase where it went wrong: `webrtc`. */
  #markRouteFailure(): void {
    if (this.#routeFailed && this.#beforeChannel()) this.#phase = 'webrtc';
  }

  #fail(code: LinkErrorCode, message: string, peerCode?: LinkErrorCode): void {
    const f = failure(code, this.#side, this.#phase, message);
    this.#finish(peerCode ? { ...f, peerCode } : f);
  }

  /** Ends the attempt once: tells the other side why it failed, undoes everything, resolves. */
  #finish(r: LinkResult): void {
    if (this.#settled) return;
    this.#settled = true;
    if (!r.ok && r.code !== 'LINK_CLOSED') this.#sayBye(r.code);
    for (const c of [...this.#peerCleanups.splice(0), ...this.#cleanups.splice(0)].reverse()) c();
    if (!r.ok) this.#peer?.destroy();
    this.#resolve(r);
  }

  /** Tells the other attempt, so it fails now instead of at its timeout (best effort). */
  #sayBye(code: LinkErrorCode): void {
    const from = this.#me;
    const to = this.#remote;
    try {
      this.#publish(to ? { kind: 'bye', from, to, payload: { code } } : { kind: 'bye', from, payload: { code } });
    } catch {
      /* not subscribed any more */
    }
  }
}

function byeCode(payload: unknown): unknown {
  return typeof payload === 'object' && payload !== null && 'code' in payload ? payload.code : undefined;
}
