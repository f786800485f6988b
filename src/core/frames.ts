/**
 * Secure frames: every data-channel message after the handshake is one AES-256-GCM frame with
 * an explicit, authenticated counter (DESIGN.md "secure frames"; wire format, derivation,
 * limits and error codes in docs/protocol-frames.md).
 *
 * Frame = header(6) ‖ ciphertext ‖ tag(16); header = version 0x01 ‖ type ‖ counter u32 BE, and
 * the header is the AEAD's associated data. Each direction has its own key and nonce prefix,
 * derived with HKDF from the SHS box-stream key and nonce of that direction.
 * @module
 */
import { assertBytes, failure, type Failure } from './errors';
import { createAead, deriveDirection, frameNonce, TAG_LENGTH, type Aead, type AeadBackend } from './frame-aead';

export type { AeadBackend } from './frame-aead';

/** The keys SHS hands out (`ShsSession` satisfies it); the two sides' keys mirror each other. */
export interface FrameKeys {
  encryptKey: Uint8Array;
  encryptNonce: Uint8Array;
  decryptKey: Uint8Array;
  decryptNonce: Uint8Array;
}

/** Stable codes of a frame {@link Failure} (docs/protocol-frames.md, "Errors"). */
export type FrameErrorCode =
  | 'FRAME_MALFORMED'
  | 'FRAME_TOO_LARGE'
  | 'FRAME_TAMPERED'
  | 'FRAME_REFLECTED'
  | 'FRAME_REPLAYED'
  | 'FRAME_OUT_OF_ORDER'
  | 'FRAME_BEFORE_CONFIRMATION'
  | 'FRAME_AFTER_GOODBYE'
  | 'FRAME_TRUNCATED';

/** What one received frame (or the transport closing) means. After a Failure the channel is dead. */
export type FrameResult =
  | { ok: true; kind: 'confirmed' }
  | { ok: true; kind: 'data'; payload: Uint8Array }
  | { ok: true; kind: 'goodbye' }
  /** A sealed file chunk (type 0x04): authenticated by the file-chunk layer, not here (src/core/file-chunk.ts). */
  | { ok: true; kind: 'sealed-chunk'; message: Uint8Array }
  | Failure<FrameErrorCode>;

/** Bytes of the cleartext, authenticated header: version, type, counter (u32 BE). */
export const FRAME_HEADER_LENGTH = 6;
/** Bytes a frame adds to its payload: header and GCM tag. */
export const FRAME_OVERHEAD = FRAME_HEADER_LENGTH + TAG_LENGTH;
/** The largest whole frame: Chromium's SCTP `maxMessageSize` (262144). */
export const MAX_FRAME_SIZE = 262144;
/** The largest payload of one frame (262122 bytes), so that a whole frame fits {@link MAX_FRAME_SIZE}. */
export const MAX_FRAME_PAYLOAD = MAX_FRAME_SIZE - FRAME_OVERHEAD;
/** The last frame counter (u32); data frames stop one short of it so that a goodbye always fits. */
export const MAX_COUNTER = 2 ** 32 - 1;
/**
 * Payload bytes sealed per direction (2^36 = 64 GiB): at most 2^32 AES blocks under one key keeps
 * GCM's confidentiality advantage below 2^-60 (docs/protocol-frames.md, "Limits").
 */
export const MAX_SEALED_BYTES = 2 ** 36;

const VERSION = 0x01;
const enum FrameType {
  Confirm = 0x01,
  Data = 0x02,
  Goodbye = 0x03,
  /** Sealed by the file-chunk layer under the file key; passed through unsealed (docs/protocol-frames.md). */
  SealedChunk = 0x04,
}

/** Thrown by `seal()` once a direction has used up its key ({@link MAX_COUNTER}, {@link MAX_SEALED_BYTES}). */
export class FrameLimitError extends Error {
  readonly code = 'FRAME_SEND_LIMIT';
  constructor(what: string) {
    super(`frames: sender: ${what}; close with goodbye() and run a fresh handshake for new keys`);
  }
}

/** Options of {@link FrameChannel.create}. */
export interface FrameChannelOptions {
  /** AES-256-GCM implementation; `auto` (default) is WebCrypto when present, else @noble/ciphers. */
  aead?: AeadBackend;
}

/**
 * One end of a secure-frames channel (docs/protocol-frames.md). Send `confirmation()` first, then
 * `seal()` data, then `goodbye()`; feed every received message to `open()` in arrival order, and
 * call `transportClosed()` when the transport closes, to tell a cut connection from a clean one.
 */
export class FrameChannel {
  private sendCounter = 0;
  private sentBytes = 0;
  private sendState: 'new' | 'open' | 'closed' = 'new';
  private recvCounter = 0;
  private recvState: 'new' | 'open' | 'goodbye' = 'new';
  private dead: Failure<FrameErrorCode> | null = null;
  private sealTail: Promise<unknown> = Promise.resolve();
  private openTail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly send: Aead,
    private readonly sendPrefix: Uint8Array,
    private readonly recv: Aead,
    private readonly recvPrefix: Uint8Array,
  ) {}

  /** Derives both directions' keys from `keys` (which are not modified) and imports them once. */
  static async create(keys: FrameKeys, options: FrameChannelOptions = {}): Promise<FrameChannel> {
    assertBytes('keys.encryptKey', keys?.encryptKey, 32);
    assertBytes('keys.encryptNonce', keys.encryptNonce, 24);
    assertBytes('keys.decryptKey', keys.decryptKey, 32);
    assertBytes('keys.decryptNonce', keys.decryptNonce, 24);
    const backend = options.aead ?? 'auto';
    if (!['auto', 'webcrypto', 'noble'].includes(backend))
      throw new TypeError(`options.aead: unknown backend ${String(backend)}`);
    const s = deriveDirection(keys.encryptKey, keys.encryptNonce);
    const r = deriveDirection(keys.decryptKey, keys.decryptNonce);
    if (s.key.every((b, i) => b === r.key[i]))
      throw new TypeError('keys: both directions have the same key and nonce; a reflected frame would be accepted');
    return new FrameChannel(
      await createAead(s.key, backend),
      s.noncePrefix,
      await createAead(r.key, backend),
      r.noncePrefix,
    );
  }

  /** The key-confirmation frame (counter 0): send it first. It proves this side holds the keys. */
  confirmation(): Promise<Uint8Array> {
    if (this.sendState !== 'new') throw new Error('frames: confirmation() called twice');
    this.sendState = 'open';
    return this.sealFrame(FrameType.Confirm, new Uint8Array(0));
  }

  /**
   * One data frame. Frames resolve in call order, so `seal(a).then(send); seal(b).then(send)`
   * puts them on the wire in order without awaiting in between. `payload` may be reused at once.
   * Throws before `confirmation()`, after `goodbye()` or a Failure, and past the send limits.
   */
  seal(payload: Uint8Array): Promise<Uint8Array> {
    assertBytes('payload', payload);
    if (payload.length > MAX_FRAME_PAYLOAD)
      throw new RangeError(`payload: ${payload.length} bytes, over MAX_FRAME_PAYLOAD (${MAX_FRAME_PAYLOAD})`);
    this.assertCanSend('seal');
    if (this.sendCounter >= MAX_COUNTER)
      throw new FrameLimitError(`frame counter ${MAX_COUNTER} reached (kept for the goodbye)`);
    if (this.sentBytes + payload.length > MAX_SEALED_BYTES)
      throw new FrameLimitError(`${MAX_SEALED_BYTES} payload bytes sealed`);
    this.sentBytes += payload.length;
    return this.sealFrame(FrameType.Data, payload);
  }

  /**
   * A sealed file chunk (type 0x04, built by `ChunkSealer`) to send as it is: the frames layer
   * does not seal it again (docs/protocol-frames.md "Sealed file chunks"). Checks only that this
   * direction is open and that the message is one; it takes no frame counter.
   */
  passThrough(message: Uint8Array): Uint8Array {
    assertBytes('message', message);
    if (
      message.length < FRAME_OVERHEAD ||
      message.length > MAX_FRAME_SIZE ||
      message[0] !== VERSION ||
      message[1] !== FrameType.SealedChunk
    )
      throw new RangeError('message: not a sealed file chunk (version 0x01, type 0x04, 22..262144 bytes)');
    this.assertCanSend('passThrough');
    return message;
  }

  /** The goodbye frame (clean close); nothing can be sealed after it. Receiving still works. */
  goodbye(): Promise<Uint8Array> {
    this.assertCanSend('goodbye');
    this.sendState = 'closed';
    const frame = this.sealFrame(FrameType.Goodbye, new Uint8Array(0));
    this.send.destroy(); // the frame's encryption has already started (or finished, on noble)
    return frame;
  }

  /**
   * Authenticates and decodes one received frame. Calls are processed one at a time in call
   * order. A Failure kills the channel; every later call returns the same Failure.
   */
  open(frame: Uint8Array): Promise<FrameResult> {
    assertBytes('frame', frame);
    // The decryption starts now, on arrival, so that WebCrypto works on several frames at once
    // (a bulk transfer keeps a few in flight); every check still runs in order in openNow().
    // The result depends only on the key and the frame's own bytes, never on the channel's state.
    const early = frame[1] === FrameType.SealedChunk ? undefined : this.decryptEarly(frame);
    const result = this.openTail.then(() => this.openNow(frame, early));
    this.openTail = result.catch(() => undefined);
    return result;
  }

  /**
   * Tells the channel that the transport has closed: `goodbye` if the peer's goodbye arrived,
   * else Failure `FRAME_TRUNCATED` (a cut connection, or an attacker truncating the stream).
   */
  transportClosed(): FrameResult {
    if (this.dead) return this.dead;
    if (this.recvState === 'goodbye') {
      this.destroy();
      return { ok: true, kind: 'goodbye' };
    }
    return this.fail(
      'FRAME_TRUNCATED',
      this.recvCounter ? `after frame ${this.recvCounter - 1}` : 'before any frame',
      `the transport closed after ${this.recvCounter} frame(s) without the peer's goodbye: the connection was cut (network loss, the peer crashed or reloaded) or an attacker truncated the stream; messages the peer sent later are lost`,
    );
  }

  private assertCanSend(what: string): void {
    if (this.dead) throw new Error(`frames: ${what}() on a dead channel (${this.dead.code}: ${this.dead.message})`);
    if (this.sendState === 'new')
      throw new Error(`frames: ${what}() before confirmation(): the key confirmation must be the first frame`);
    if (this.sendState === 'closed') throw new Error(`frames: ${what}() after goodbye()`);
  }

  private sealFrame(type: FrameType, payload: Uint8Array): Promise<Uint8Array> {
    const counter = this.sendCounter++; // assigned now, in call order
    const header = new Uint8Array(FRAME_HEADER_LENGTH);
    header[0] = VERSION;
    header[1] = type;
    new DataView(header.buffer).setUint32(2, counter);
    const sealing = this.send.seal(frameNonce(this.sendPrefix, counter), header, payload); // starts now: pipelines
    // WebCrypto jobs may finish in any order (node runs them on a thread pool), so each frame
    // waits for the previous one: promises resolve, and frames reach the caller, in seal() order.
    const frame = Promise.all([sealing, this.sealTail]).then(([sealed]) => {
      const out = new Uint8Array(FRAME_HEADER_LENGTH + sealed.length);
      out.set(header);
      out.set(sealed, FRAME_HEADER_LENGTH);
      return out;
    });
    this.sealTail = frame.catch(() => undefined);
    return frame;
  }

  /** Starts the AEAD open of a structurally plausible frame; `undefined` when openNow() will refuse it anyway. */
  private decryptEarly(frame: Uint8Array): Promise<Uint8Array | null> | undefined {
    if (this.dead || this.recvState === 'goodbye' || frame.length > MAX_FRAME_SIZE || frame.length < FRAME_OVERHEAD)
      return undefined;
    const header = frame.slice(0, FRAME_HEADER_LENGTH);
    const counter = new DataView(header.buffer).getUint32(2);
    // A key destroyed meanwhile (goodbye, transport closed) reads as "does not open".
    return this.recv
      .open(frameNonce(this.recvPrefix, counter), header, frame.subarray(FRAME_HEADER_LENGTH))
      .catch(() => null);
  }

  /** The checks, in order: the frame's shape, then its authentication, then its place in the stream. */
  private async openNow(frame: Uint8Array, early?: Promise<Uint8Array | null>): Promise<FrameResult> {
    if (this.dead) return this.dead;
    const at = `frame ${this.recvCounter}`;
    const malformed = this.checkShape(frame, at);
    if (malformed) return malformed;
    if (frame[1] === FrameType.SealedChunk) {
      if (this.recvState === 'new')
        return this.fail(
          'FRAME_BEFORE_CONFIRMATION',
          at,
          "a sealed file chunk arrived before the peer's key confirmation: injected or a broken peer",
        );
      return { ok: true, kind: 'sealed-chunk', message: frame };
    }
    const header = frame.slice(0, FRAME_HEADER_LENGTH);
    const counter = new DataView(header.buffer).getUint32(2);
    const sealed = frame.subarray(FRAME_HEADER_LENGTH);
    const payload = await (early ?? this.recv.open(frameNonce(this.recvPrefix, counter), header, sealed));
    if (this.dead) return this.dead; // transportClosed() ran while we were decrypting
    if (!payload) return this.notAuthentic(counter, header, sealed, at);
    // Authentic from here on: the counter and type are what the peer sealed.
    return this.acceptAuthentic(frame[1]!, counter, payload, at);
  }

  /** A Failure when the frame cannot be a frame of ours (size, version, type), else null. */
  private checkShape(frame: Uint8Array, at: string): Failure<FrameErrorCode> | null {
    if (this.recvState === 'goodbye')
      return this.fail(
        'FRAME_AFTER_GOODBYE',
        at,
        `a ${frame.length}-byte message arrived after the peer's goodbye: injected by an attacker or sent by a broken peer`,
      );
    if (frame.length > MAX_FRAME_SIZE)
      return this.fail(
        'FRAME_TOO_LARGE',
        at,
        `${frame.length} bytes, over the ${MAX_FRAME_SIZE}-byte frame limit: not a Parley frame or a broken peer`,
      );
    if (frame.length < FRAME_OVERHEAD)
      return this.fail(
        'FRAME_MALFORMED',
        at,
        `${frame.length} bytes, shorter than header and tag (${FRAME_OVERHEAD}): cut short or not a Parley frame`,
      );
    if (frame[0] !== VERSION)
      return this.fail(
        'FRAME_MALFORMED',
        at,
        `unknown frame version ${frame[0]} (this side speaks ${VERSION}): a corrupted frame or an incompatible peer`,
      );
    const type = frame[1]!;
    if (
      type !== FrameType.Confirm &&
      type !== FrameType.Data &&
      type !== FrameType.Goodbye &&
      type !== FrameType.SealedChunk
    )
      return this.fail('FRAME_MALFORMED', at, `unknown frame type ${type}: a corrupted frame or an incompatible peer`);
    return null;
  }

  /** A frame that does not open: one of our own sent back, or tampered with. */
  private async notAuthentic(
    counter: number,
    header: Uint8Array<ArrayBuffer>,
    sealed: Uint8Array,
    at: string,
  ): Promise<Failure<FrameErrorCode>> {
    // Not ours to read. If it opens under our own sending key, it is one of our frames sent back.
    const mine =
      this.sendState !== 'closed' && (await this.send.open(frameNonce(this.sendPrefix, counter), header, sealed));
    if (this.dead) return this.dead;
    if (mine)
      return this.fail(
        'FRAME_REFLECTED',
        at,
        `a frame this side sent (its frame ${counter}) came back: an attacker reflected it`,
      );
    return this.fail(
      'FRAME_TAMPERED',
      at,
      `a frame claiming counter ${counter} failed authentication: modified in transit, cut short, from another session, or the two sides' keys do not match`,
    );
  }

  /** An authentic frame: it must come next in order, after the confirmation, and fit its type. */
  private acceptAuthentic(type: number, counter: number, payload: Uint8Array, at: string): FrameResult {
    if (this.recvState === 'new' && type !== FrameType.Confirm)
      return this.fail(
        'FRAME_BEFORE_CONFIRMATION',
        at,
        `the peer's frame ${counter} arrived before its key confirmation: the confirmation was dropped or the peer skipped it`,
      );
    if (counter < this.recvCounter)
      return this.fail(
        'FRAME_REPLAYED',
        at,
        `frame ${counter} arrived again (expected ${this.recvCounter}): an attacker replayed it`,
      );
    if (counter > this.recvCounter)
      return this.fail(
        'FRAME_OUT_OF_ORDER',
        at,
        `frame ${counter} arrived while ${this.recvCounter} was expected: frame(s) ${this.recvCounter}..${counter - 1} were dropped or reordered`,
      );
    this.recvCounter++;
    if (type === FrameType.Confirm) {
      if (counter !== 0) return this.fail('FRAME_MALFORMED', at, 'a second key confirmation: a broken peer');
      if (payload.length !== 0)
        return this.fail('FRAME_MALFORMED', at, 'a key confirmation with a payload: a broken peer');
      this.recvState = 'open';
      return { ok: true, kind: 'confirmed' };
    }
    if (type === FrameType.Goodbye) {
      if (payload.length !== 0)
        return this.fail('FRAME_MALFORMED', at, 'a goodbye frame with a payload: a broken peer');
      this.recvState = 'goodbye';
      this.recv.destroy();
      return { ok: true, kind: 'goodbye' };
    }
    return { ok: true, kind: 'data', payload };
  }

  private fail(code: FrameErrorCode, step: string, why: string): Failure<FrameErrorCode> {
    this.dead = failure(code, 'receiver', step, `frames: receiver, ${step}: ${why}`);
    this.destroy();
    return this.dead;
  }

  /** Forgets both directions' keys (zeroed where possible) and nonce prefixes. */
  private destroy(): void {
    this.send.destroy();
    this.recv.destroy();
    this.sendPrefix.fill(0);
    this.recvPrefix.fill(0);
  }
}
