/**
 * An established, verified connection: app messages (wire.ts) inside secure frames
 * (frames.ts) on a WebRTC data channel. Created by `openLink` once both sides have confirmed
 * their keys; see docs/net.md.
 * @module
 */
import { failure, type Failure } from '../core/errors';
import type { FrameChannel, FrameResult } from '../core/frames';
import { decodeWire, encodeWire, type WireMessage } from '../core/wire';
import type { Announcement } from '../core/features';
import { DRAIN_THRESHOLD, type DataPeer } from './peer';
import type { StatsReportLike } from './route-stats';
import { BufferedListeners, OnceListeners } from './listeners';

/**
 * Queue at most this much in the data channel before `send()` waits (backpressure), then wait
 * until it drained to a quarter (= the channel's {@link DRAIN_THRESHOLD}, so an event, not a
 * poll, ends the wait). Above the TransferManager's own mark, so file chunks never wait here;
 * well below the 16 MiB at which Chromium closes a channel.
 */
const HIGH_WATER = 4 * DRAIN_THRESHOLD;
/** How long `close()` waits for the peer's goodbye before hanging up anyway. */
const GOODBYE_WAIT_MS = 2000;

export interface LinkCloseEvent {
  clean: boolean;
  failure?: Failure;
}

/**
 * The two announcements of a link (docs/protocol.md "Compatibility"): null = none sent, a
 * version-1 side. Both came through the SHS-keyed frames, the peer's as its first data frame.
 */
export interface LinkFeatures {
  readonly own: Announcement | null;
  readonly peer: Announcement | null;
}

export interface SecureLink {
  readonly remotePublicKey: Uint8Array;
  /**
   * Resolves once the peer's first data frame arrived: its announcement, or none (version 1).
   * Null if the link closed before that. The announcement itself is not passed to `onMessage`.
   */
  readonly features: Promise<LinkFeatures | null>;
  readonly handshakeSecret: Uint8Array;
  /** Resolves once the frame is handed to the data channel; rejects once the link is closed. */
  send(m: WireMessage): Promise<void>;
  /** Messages in order; those that arrived before the first listener are given to it. */
  onMessage(cb: (m: WireMessage) => void): () => void;
  /** Once, when the link ends: clean (goodbye) or cut/failed with the reason. */
  onClose(cb: (e: LinkCloseEvent) => void): () => void;
  /** Sends goodbye, waits briefly for the peer's, then hangs up. */
  close(): Promise<void>;
  readonly closed: boolean;
  /** Messages of a type this version does not know (a newer peer), skipped. */
  readonly skippedCount: number;
  /**
   * Added for file transfers (docs/files.md §8): bytes accepted by `send()` and not yet on the
   * wire — the link's own queue plus the data channel's `bufferedAmount`. The TransferManager
   * hands out chunks only while this is low, so chat frames never wait behind much file data.
   */
  readonly bufferedAmount?: number;
  /**
   * Sends a sealed file chunk (frame type 0x04, built by `ChunkSealer` under the file key) as it
   * is, in order with `send()` and under the same backpressure: the frames layer does not seal
   * it again (docs/files.md §10). Optional: links without it carry chunks as `transfer` messages.
   */
  sendSealedChunk?(message: Uint8Array): Promise<void>;
  /** Sealed file chunks as they arrive, in order; those before the first listener go to it. */
  onSealedChunk?(cb: (message: Uint8Array) => void): () => void;
  /**
   * Called whenever the data channel's queue fell low (docs/files.md §15): a bulk sender waiting
   * for `bufferedAmount` to drop wakes on it instead of polling.
   */
  onDrain?(cb: () => void): () => void;
  /**
   * The WebRTC connection's `getStats()` report, null once closed (docs/net.md "Route and round
   * trip"): which way the link goes (direct or through TURN), its round trip and byte counters.
   */
  stats?(): Promise<StatsReportLike | null>;
}

/** Internal: builds the link around a confirmed frame channel. Not part of the contract. */
export class FramedLink implements SecureLink {
  readonly #peer: DataPeer;
  readonly #frames: FrameChannel;
  // A listener's bug must not stop the receive chain: later messages, the close event.
  readonly #messages = new BufferedListeners<WireMessage>((e) =>
    console.error('SecureLink: a message listener threw:', e),
  );
  readonly #chunks = new BufferedListeners<Uint8Array>((e) =>
    console.error('SecureLink: a sealed-chunk listener threw:', e),
  );
  readonly #closing = new OnceListeners<LinkCloseEvent>();
  #sendTail: Promise<unknown> = Promise.resolve();
  /** Bytes accepted by send() and not yet handed to the data channel. */
  #unsent = 0;
  #recvTail: Promise<unknown> = Promise.resolve();
  #closeEvent: LinkCloseEvent | null = null;
  #goodbyeSent = false;
  #skipped = 0;
  readonly #own: Announcement | null;
  /** Set once the peer's first data frame has been judged (announcement or not). */
  #peerKnown = false;
  #resolveFeatures: (f: LinkFeatures | null) => void = () => {};
  readonly features = new Promise<LinkFeatures | null>((r) => {
    this.#resolveFeatures = r;
  });
  #peerGoodbye: () => void = () => {};
  readonly #peerGoodbyeArrived = new Promise<void>((r) => {
    this.#peerGoodbye = r;
  });

  constructor(
    peer: DataPeer,
    frames: FrameChannel,
    readonly remotePublicKey: Uint8Array,
    readonly handshakeSecret: Uint8Array,
    own: Announcement | null,
  ) {
    this.#peer = peer;
    this.#frames = frames;
    this.#own = own;
    // The announcement is this side's first data frame (counter 1), before anything else can be sent.
    if (own) void this.send({ type: 'features', version: own.version, features: [...own.features] }).catch(() => {});
  }

  get closed(): boolean {
    return this.#closeEvent !== null;
  }
  /** Messages of a type this version does not know, skipped (a newer peer). */
  get skippedCount(): number {
    return this.#skipped;
  }

  /** Called by openLink with every data-channel message after the peer's confirmation. */
  receive(frame: Uint8Array): void {
    if (this.#closeEvent) return;
    // Start the open now: FrameChannel.open begins each AEAD open on arrival and judges the
    // frames in order, so WebCrypto decrypts several at once. Calling it from inside the chain
    // would wait for the previous frame first and undo that (one thread hop per chunk).
    const opened = this.#frames.open(frame);
    this.#recvTail = this.#recvTail.then(async () => {
      const r = await opened;
      if (this.#closeEvent) return;
      this.#handle(r);
    });
  }

  /** Called by openLink when the data channel is gone. */
  transportClosed(): void {
    this.#recvTail = this.#recvTail.then(() => {
      if (this.#closeEvent) return;
      // Goodbye if the peer's goodbye arrived, else FRAME_TRUNCATED: the connection was cut.
      const t = this.#frames.transportClosed();
      this.#finish(t.ok ? { clean: true } : { clean: false, failure: t });
    });
  }

  /** See {@link SecureLink.stats}. */
  stats(): Promise<StatsReportLike | null> {
    return this.#closeEvent ? Promise.resolve(null) : this.#peer.stats();
  }

  /** See {@link SecureLink.bufferedAmount}. */
  get bufferedAmount(): number {
    return this.#closeEvent ? 0 : this.#unsent + this.#peer.bufferedAmount;
  }

  send(m: WireMessage): Promise<void> {
    if (this.#closeEvent || this.#goodbyeSent) return Promise.reject(new Error('SecureLink.send: the link is closed'));
    const bytes = encodeWire(m); // throws on a malformed message: a programmer's mistake
    const sealed = this.#frames.seal(bytes); // call order = wire order
    this.#unsent += bytes.length;
    return this.#queueFrame(sealed, bytes.length);
  }

  /** Hands `frame` to the data channel after every frame queued before it, waiting while it is full. */
  #queueFrame(frame: Promise<Uint8Array>, counted: number): Promise<void> {
    const sent = this.#sendTail.then(async () => {
      try {
        const f = await frame;
        if (this.#peer.bufferedAmount > HIGH_WATER) await this.#peer.drain(HIGH_WATER / 4);
        if (this.#closeEvent) throw new Error('SecureLink.send: the link closed before the message went out');
        this.#peer.send(f);
      } finally {
        this.#unsent -= counted;
      }
    });
    this.#sendTail = sent.catch(() => undefined);
    return sent;
  }

  /** See {@link SecureLink.sendSealedChunk}. */
  sendSealedChunk(message: Uint8Array): Promise<void> {
    if (this.#closeEvent || this.#goodbyeSent)
      return Promise.reject(new Error('SecureLink.sendSealedChunk: the link is closed'));
    const frame = this.#frames.passThrough(message); // throws on a message that is not one: a programmer's mistake
    this.#unsent += frame.length;
    return this.#queueFrame(Promise.resolve(frame), frame.length);
  }

  /** See {@link SecureLink.onDrain}. */
  onDrain(cb: () => void): () => void {
    return this.#peer.onDrain(cb);
  }

  /** See {@link SecureLink.onSealedChunk}. */
  onSealedChunk(cb: (message: Uint8Array) => void): () => void {
    return this.#chunks.add(cb);
  }

  /**
   * Seals `payload` as one data frame without wire encoding. For protocol tests and probes
   * (a peer sending bytes that do not decode); the app uses `send`.
   */
  sendRawPayload(payload: Uint8Array): Promise<void> {
    if (this.#closeEvent || this.#goodbyeSent)
      return Promise.reject(new Error('SecureLink.sendRawPayload: the link is closed'));
    const sealed = this.#frames.seal(payload);
    const sent = this.#sendTail.then(async () => {
      this.#peer.send(await sealed);
    });
    this.#sendTail = sent.catch(() => undefined);
    return sent;
  }

  /** Hangs up without a goodbye, as a crash or a lost network would (tests; page unload). */
  cut(): void {
    this.#finish({
      clean: false,
      failure: failure('LINK_CLOSED', 'local', 'cut', 'this side hung up without a goodbye'),
    });
  }

  onMessage(cb: (m: WireMessage) => void): () => void {
    return this.#messages.add(cb);
  }

  onClose(cb: (e: LinkCloseEvent) => void): () => void {
    return this.#closing.add(cb);
  }

  async close(): Promise<void> {
    if (this.#closeEvent) return;
    await this.#sendGoodbye();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#peerGoodbyeArrived,
      new Promise<void>((r) => {
        timer = setTimeout(r, GOODBYE_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    await this.#recvTail;
    this.#finish({ clean: true });
  }

  async #sendGoodbye(): Promise<void> {
    if (this.#goodbyeSent) return;
    this.#goodbyeSent = true;
    try {
      const frame = this.#frames.goodbye();
      await this.#sendTail;
      this.#peer.send(await frame);
      await this.#peer.drain(0);
    } catch {
      /* the channel is already gone: nothing more to say */
    }
  }

  #handle(r: FrameResult): void {
    if (!r.ok) {
      this.#finish({ clean: false, failure: r });
      return;
    }
    if (r.kind === 'goodbye') {
      this.#peerGoodbye();
      if (this.#goodbyeSent) return; // our close() is waiting for exactly this, and hangs up
      // Answer with our own goodbye so the other side sees a clean close as well, and let the
      // side that started the close hang up: destroying now could discard our goodbye in flight.
      void this.#sendGoodbye().then(() => {
        const t = setTimeout(() => this.#finish({ clean: true }), GOODBYE_WAIT_MS);
        this.onClose(() => clearTimeout(t));
      });
      return;
    }
    if (r.kind === 'sealed-chunk') {
      this.#chunks.emit(r.message);
      return;
    }
    if (r.kind !== 'data') {
      this.#finish({
        clean: false,
        failure: failure(
          'LINK_CLOSED',
          'local',
          'frames',
          'a second key confirmation arrived: the other side is broken',
        ),
      });
      return;
    }
    const w = decodeWire(r.payload);
    if (this.#announcement(w)) return;
    if (!w.ok && w.step === 'wire: type') {
      // A message type this version does not know: a newer peer. Skip it, keep the link
      // (docs/protocol-app.md, "unknown type code").
      this.#skipped++;
      return;
    }
    if (!w.ok) {
      // Everything before this message has been delivered; this and later ones are not.
      this.#finish({ clean: false, failure: w });
      return;
    }
    this.#messages.emit(w.message);
  }

  /**
   * The peer's first data frame says what it runs: its announcement (consumed here), or anything
   * else = version 1. A later announcement closes the link. True when `w` was consumed.
   */
  #announcement(w: ReturnType<typeof decodeWire>): boolean {
    const isAnnouncement = w.ok && w.message.type === 'features';
    if (this.#peerKnown) {
      if (isAnnouncement)
        this.#finish({
          clean: false,
          failure: failure(
            'LINK_FEATURES_TWICE',
            'local',
            'features',
            'the other side announced its features a second time on one link: a broken or hostile peer',
          ),
        });
      return isAnnouncement;
    }
    this.#peerKnown = true;
    const m = w.ok && w.message.type === 'features' ? w.message : null;
    this.#resolveFeatures({ own: this.#own, peer: m && { version: m.version, features: m.features } });
    return isAnnouncement;
  }

  #finish(e: LinkCloseEvent): void {
    if (this.#closeEvent) return;
    this.#resolveFeatures(null);
    this.#closeEvent = e;
    this.#peerGoodbye();
    this.#peer.destroy();
    this.#closing.fire(e);
  }
}
