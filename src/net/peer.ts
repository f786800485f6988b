/**
 * A WebRTC data channel as a message-oriented duplex, on top of simple-peer.
 *
 * - ICE servers are always passed explicitly (simple-peer's defaults are public STUN hosts).
 * - Trickle ICE; the signals it emits are plain JSON-able objects for the link layer to seal.
 * - The DTLS certificate fingerprints of both ends are read from the local and remote SDP, so
 *   the handshake can bind them into its network key: DTLS guarantees the peer's certificate
 *   matches the fingerprint in the remote SDP, and a signaling MITM that substitutes SDP ends
 *   up with different fingerprint pairs on the two sides.
 * @module
 */
import Peer from 'simple-peer/simplepeer.min.js';
import type SimplePeer from 'simple-peer';
import { failure, type Failure } from '../core/errors';
import { noCandidatesMessage, watchIce, type IceServerError } from './ice-watch';
import type { StatsReportLike } from './route-stats';
import { BufferedListeners, OnceListeners } from './listeners';

export type PeerSignal = SimplePeer.SignalData;

/** The envelope kind for a signal simple-peer emitted. */
export function signalKind(s: PeerSignal): 'offer' | 'answer' | 'candidate' {
  return s.type === 'offer' || s.type === 'answer' ? s.type : 'candidate';
}

/** A signal from the other side (untrusted JSON) that simple-peer can take: offer, answer or candidate. */
export function isPeerSignal(p: unknown): p is PeerSignal {
  if (typeof p !== 'object' || p === null) return false;
  const s = p as Record<string, unknown>;
  if (s.type === 'offer' || s.type === 'answer') return typeof s.sdp === 'string' && s.sdp.length < 30_000;
  if (s.type === 'candidate') {
    const c = s.candidate as Record<string, unknown> | null;
    return typeof c === 'object' && c !== null && typeof c.candidate === 'string';
  }
  return false;
}

export interface DataPeerOptions {
  initiator: boolean;
  iceServers: RTCIceServer[];
  /** `relay`: TURN relay candidates only, so the other side never learns this browser's addresses. Default `all`. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** WebRTC implementation for node (node-datachannel's polyfill); the browser's by default. */
  wrtc?: unknown;
}

export type FingerprintErrorCode = 'SDP_NO_FINGERPRINT' | 'SDP_FINGERPRINT_CONFLICT';

/**
 * The DTLS certificate's SHA-256 fingerprint from an SDP (RFC 8122 `a=fingerprint:sha-256`),
 * as 32 bytes. Several sha-256 lines (session and media level) must agree; other hash
 * algorithms are ignored.
 */
export function sdpFingerprint(sdp: string): { ok: true; fingerprint: Uint8Array } | Failure<FingerprintErrorCode> {
  let found: string | null = null;
  for (const line of sdp.split(/\r?\n/)) {
    const m = /^a=fingerprint:(\S+)[ \t]+(\S+)[ \t]*$/i.exec(line);
    if (!m || m[1]!.toLowerCase() !== 'sha-256') continue;
    const hex = m[2]!.toUpperCase();
    if (!/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/.test(hex)) continue;
    if (found !== null && found !== hex)
      return failure(
        'SDP_FINGERPRINT_CONFLICT',
        'local',
        'sdp',
        'the session description carries two different sha-256 certificate fingerprints; refusing to pick one',
      );
    found = hex;
  }
  if (found === null)
    return failure(
      'SDP_NO_FINGERPRINT',
      'local',
      'sdp',
      'the session description has no sha-256 certificate fingerprint (a=fingerprint:sha-256 …)',
    );
  return { ok: true, fingerprint: Uint8Array.from(found.split(':'), (h) => parseInt(h, 16)) };
}

/**
 * Most remote ICE candidates held back while the remote description is missing. A real peer
 * has a handful (one per interface and protocol); a peer (it holds the rendezvous secret)
 * sending thousands before its offer is abusive, and the connection ends with
 * `PEER_TOO_MANY_CANDIDATES` instead of memory growing without bound.
 */
export const MAX_EARLY_CANDIDATES = 64;

/**
 * 1 MiB: {@link DataPeer.drain} waits by default until a quarter of it (256 KiB) is left — below
 * {@link DRAIN_THRESHOLD}, so the 20 ms poll sees it, not the event.
 */
export const DEFAULT_HIGH_WATER = 1 << 20;

/**
 * The open channel's `bufferedAmountLowThreshold`: {@link DataPeer.onDrain} listeners run when
 * `bufferedAmount` falls to it (docs/files.md §15). simple-peer sets 64 KiB, which woke a bulk
 * sender only once the channel was nearly empty.
 */
export const DRAIN_THRESHOLD = 512 * 1024;

/**
 * One WebRTC data channel to one peer. Feed it the remote side's signals with `signal()`,
 * forward what `onSignal` gives you, wait for `connected`, then exchange binary messages.
 */
export class DataPeer {
  readonly #peer: SimplePeer.Instance;
  readonly #messages = new BufferedListeners<Uint8Array>();
  readonly #closing = new OnceListeners<(Error & { code?: string }) | undefined>();
  readonly #drained = new Set<() => void>();
  #closed = false;
  #haveRemoteDescription = false;
  readonly #earlyCandidates: PeerSignal[] = [];
  #closeError: (Error & { code?: string }) | undefined;
  readonly #ice: { errors: IceServerError[]; stop: () => void } | null;
  /** Resolves when the data channel is open; rejects if the peer dies first. */
  readonly connected: Promise<void>;

  constructor(o: DataPeerOptions) {
    if (!Array.isArray(o.iceServers))
      throw new TypeError("DataPeer: iceServers must be an array (never rely on simple-peer's public defaults)");
    const policy = o.iceTransportPolicy ?? 'all';
    this.#peer = new Peer({
      initiator: o.initiator,
      trickle: true,
      config: { iceServers: o.iceServers, iceTransportPolicy: policy },
      ...(o.wrtc ? { wrtc: o.wrtc as SimplePeer.Options['wrtc'] } : {}),
    });
    const pc = this.#pc();
    this.#ice = pc
      ? watchIce(pc, () => this.#fail('PEER_NO_CANDIDATES', noCandidatesMessage(policy, this.iceErrors)))
      : null;
    this.connected = new Promise<void>((resolve, reject) => {
      this.#peer.once('connect', () => resolve());
      this.#peer.once('close', () => reject(this.#closeError ?? new Error('the data channel closed before it opened')));
    });
    this.connected.catch(() => {
      /* observed by the caller if it cares */
    });
    this.connected.then(
      () => {
        const ch = this.#channel();
        if (!ch || typeof ch.bufferedAmountLowThreshold !== 'number') return;
        ch.bufferedAmountLowThreshold = DRAIN_THRESHOLD;
        ch.addEventListener?.('bufferedamountlow', () => {
          for (const cb of [...this.#drained])
            try {
              cb();
            } catch (e) {
              console.error('DataPeer: a drain listener threw:', e); // the others still run
            }
        });
      },
      () => {},
    );
    // Each message straight from the channel's `message` event to the listeners (docs/files.md §18):
    // simple-peer's own path pushes it through a readable stream whose browser shim of
    // `process.nextTick` is a `setTimeout(0)` task, 1.7 tasks per 256 KiB file chunk. Its stream
    // then stays empty: simple-peer reads nothing else from it.
    (this.#peer as unknown as SimplePeerInternals)._onChannelMessage = (event) => {
      if (this.#peer.destroyed) return;
      this.#messages.emit(messageBytes(event.data));
    };
    this.#peer.on('error', (err: Error & { code?: string }) => {
      this.#closeError ??= err;
    });
    this.#peer.on('close', () => {
      this.#closed = true;
      this.#ice?.stop();
      this.#closing.fire(this.#closeError);
    });
  }

  /** Local signals (offer/answer/candidates) to deliver to the other side. */
  onSignal(cb: (s: PeerSignal) => void): () => void {
    const h = (s: PeerSignal) => cb(s);
    this.#peer.on('signal', h);
    return () => {
      this.#peer.off('signal', h);
    };
  }

  /**
   * A signal from the other side. Malformed signals end the peer with an error (see onClose).
   * Candidates that arrive before the remote description are held back until it has been
   * applied: with trickle ICE they can overtake the offer, and libdatachannel fails the whole
   * connection ("remote candidate without ICE transport") if it sees one too early.
   */
  signal(s: PeerSignal): void {
    if (this.#closed || this.#peer.destroyed) return;
    if ('candidate' in s && s.candidate && !this.#haveRemoteDescription) {
      if (this.#earlyCandidates.length >= MAX_EARLY_CANDIDATES) {
        this.#earlyCandidates.length = 0;
        this.#fail(
          'PEER_TOO_MANY_CANDIDATES',
          `the other side sent more than ${MAX_EARLY_CANDIDATES} ICE candidates before its session description; closing the connection`,
        );
        return;
      }
      this.#earlyCandidates.push(s);
      return;
    }
    try {
      this.#peer.signal(s);
      if ('sdp' in s && s.sdp) {
        this.#haveRemoteDescription = true;
        for (const c of this.#earlyCandidates.splice(0)) this.#peer.signal(c);
      }
    } catch (err) {
      this.#peer.destroy(err as Error);
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Messages in arrival order; ones that arrived before the first listener are delivered to it. */
  onMessage(cb: (data: Uint8Array) => void): () => void {
    return this.#messages.add(cb);
  }

  /** Called once when the channel is gone, with the error that killed it, if any. */
  onClose(cb: (err?: Error & { code?: string }) => void): () => void {
    return this.#closing.add(cb);
  }

  /** One message. Throws if the channel is not open (a programmer's mistake: await connected). */
  send(data: Uint8Array): void {
    if (this.#closed) throw new Error('DataPeer.send: the data channel is closed');
    this.#peer.send(data);
  }

  /**
   * Calls `cb` each time the channel's `bufferedAmount` falls to {@link DRAIN_THRESHOLD} (the
   * `bufferedamountlow` event). Returns the unsubscribe function.
   */
  onDrain(cb: () => void): () => void {
    this.#drained.add(cb);
    return () => {
      this.#drained.delete(cb);
    };
  }

  /** The open channel's `bufferedAmountLowThreshold` ({@link DRAIN_THRESHOLD}); 0 before it is open. */
  get drainThreshold(): number {
    return this.#channel()?.bufferedAmountLowThreshold ?? 0;
  }

  /** Bytes queued in the data channel, not yet handed to the network. */
  get bufferedAmount(): number {
    return this.#channel()?.bufferedAmount ?? 0;
  }

  /**
   * Resolves once `bufferedAmount` is at or below `lowWater` (backpressure for bulk senders):
   * listens for `bufferedamountlow` and polls as well, since some implementations never fire it.
   * Rejects if the channel closes meanwhile.
   */
  drain(lowWater = DEFAULT_HIGH_WATER / 4, pollMs = 20): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('DataPeer.drain: the data channel is closed'));
    if (this.bufferedAmount <= lowWater) return Promise.resolve();
    const ch = this.#channel();
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.#closed) {
          done();
          reject(new Error('DataPeer.drain: the data channel closed while waiting'));
        } else if (this.bufferedAmount <= lowWater) {
          done();
          resolve();
        }
      };
      const timer = setInterval(check, pollMs);
      const offClose = this.onClose(check);
      const done = () => {
        clearInterval(timer);
        offClose();
        ch?.removeEventListener?.('bufferedamountlow', check);
      };
      ch?.addEventListener?.('bufferedamountlow', check); // at DRAIN_THRESHOLD; the poll covers a lower `lowWater`
    });
  }

  /** Local and remote DTLS certificate fingerprints (available once the answer is applied). */
  fingerprints(): { ok: true; local: Uint8Array; remote: Uint8Array } | Failure<FingerprintErrorCode | 'SDP_MISSING'> {
    const pc = this.#pc();
    const localSdp = pc?.localDescription?.sdp,
      remoteSdp = pc?.remoteDescription?.sdp;
    if (!localSdp || !remoteSdp)
      return failure('SDP_MISSING', 'local', 'sdp', 'no local or remote session description yet');
    const local = sdpFingerprint(localSdp);
    if (!local.ok) return local;
    const remote = sdpFingerprint(remoteSdp);
    if (!remote.ok) return { ...remote, side: 'local', step: 'remote sdp' };
    return { ok: true, local: local.fingerprint, remote: remote.fingerprint };
  }

  /** Ends the connection (idempotent). */
  destroy(): void {
    if (!this.#peer.destroyed) this.#peer.destroy();
  }

  /** What the STUN/TURN servers answered when they failed this connection (at most 4, by URL and code). */
  get iceErrors(): readonly IceServerError[] {
    return this.#ice?.errors ?? [];
  }

  /**
   * The connection's `getStats()` report (route-stats.ts reads the route from it), or null when
   * there is none (closed, or an implementation without stats).
   */
  async stats(): Promise<StatsReportLike | null> {
    const pc = this.#pc();
    if (this.#closed || !pc || typeof pc.getStats !== 'function') return null;
    try {
      return await pc.getStats();
    } catch {
      return null;
    }
  }

  /** Ends the connection with an error that `onClose` reports (its `code` says why). */
  #fail(code: string, message: string): void {
    const err: Error & { code?: string } = new Error(message);
    err.code = code;
    if (!this.#peer.destroyed) this.#peer.destroy(err);
  }

  #pc(): RTCPeerConnection | undefined {
    return (this.#peer as unknown as { _pc?: RTCPeerConnection })._pc;
  }
  #channel(): RTCDataChannel | undefined {
    return (this.#peer as unknown as { _channel?: RTCDataChannel })._channel;
  }
}

/** The simple-peer 9 method {@link DataPeer} replaces: every channel `message` event goes to it. */
interface SimplePeerInternals {
  _onChannelMessage(event: { data: unknown }): void;
}

/**
 * A data channel message's `data` as bytes this side owns: an ArrayBuffer (binaryType
 * `arraybuffer`) is viewed whole, a view is passed through {@link ownBytes}, a string (a peer
 * may send text) is UTF-8 encoded.
 */
export function messageBytes(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return ownBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (typeof data === 'string') return new TextEncoder().encode(data);
  throw new TypeError(`DataPeer: a data channel message of type ${typeof data} (expected bytes or text)`);
}

/**
 * `chunk` as a plain Uint8Array this side owns. In a browser simple-peer hands each message as a
 * Buffer view over the whole ArrayBuffer the data channel gave it: that buffer is the message's
 * own, so it is used as is (a 256 KiB file chunk is not copied). A view over part of a buffer —
 * node's Buffer pool slices small messages out of a shared 8 KiB buffer — is copied out, so that
 * nothing downstream (a transfer to a worker, `.buffer`) can reach other messages' bytes.
 */
export function ownBytes(chunk: Uint8Array): Uint8Array {
  const b = chunk.buffer;
  return b instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === b.byteLength
    ? new Uint8Array(b)
    : new Uint8Array(chunk);
}
