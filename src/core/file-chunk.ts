/**
 * Sealed file chunks (docs/files.md §10, docs/security.md "Files: one AEAD layer"): the one
 * encryption a file byte gets on its way. A chunk is AES-256-GCM-sealed under the link's file key
 * (sent inside the Double Ratchet, docs/session.md §6) and travels as its own data-channel
 * message, frame type `0x04`, which the secure-frames layer passes through without sealing it
 * again (docs/protocol-frames.md "Sealed file chunks").
 *
 * Message = header(40) ‖ ciphertext ‖ tag(16); header = frame version 0x01 ‖ type 0x04 ‖ u64 seq
 * ‖ transfer id(16) ‖ u16 file ‖ u32 index ‖ u64 offset. The whole header is the associated
 * data (after a label and the sender's role), so a chunk cannot be moved to another transfer,
 * file, index or offset, or reflected to its sender; the nonce is `0x00000001 ‖ seq`, and seq
 * strictly increases per direction, so a replayed chunk is refused after it authenticates.
 * @module
 */
import { assertBytes, failure, type Failure } from './errors';
import { createAead, TAG_LENGTH, type Aead, type AeadBackend } from './frame-aead';

/** Frame version and type bytes that open every sealed chunk (docs/protocol-frames.md). */
export const CHUNK_FRAME_VERSION = 0x01;
export const CHUNK_FRAME_TYPE = 0x04;
/** Bytes of the cleartext, authenticated header. */
export const CHUNK_HEADER_BYTES = 40;
/** Bytes a sealed chunk adds to the file bytes: header and GCM tag. */
export const CHUNK_OVERHEAD = CHUNK_HEADER_BYTES + TAG_LENGTH;
/** Largest sealed chunk message: Chromium's SCTP `maxMessageSize`. */
export const MAX_CHUNK_MESSAGE = 262144;
/** Message buffers a {@link ChunkSealer} keeps for reuse (8 × 256 KiB = 2 MiB at most; docs/files.md §13). */
export const SEALER_POOL_BUFFERS = 8;
/** Most file bytes sealed under one file key (2^36, as frames: GCM's bound stays below 2^-60). */
export const MAX_CHUNK_SEALED_BYTES = 2 ** 36;
/** Most chunks sealed under one file key (nonce counter space kept well inside u64 and GCM's 2^32 calls). */
export const MAX_CHUNK_SEQ = 2 ** 32;
/** Nonce domain of sealed chunks; the file-key link's control messages use domain 0. */
const NONCE_DOMAIN = 1;
const LABEL = new TextEncoder().encode('parley/file-chunk/v1');

/** Which end sealed a chunk (the kx roles): reflecting a chunk to its sender fails authentication. */
export type ChunkRole = 'initiator' | 'responder';

/** Where a chunk belongs: what the associated data binds. */
export interface ChunkPlace {
  /** Transfer id, 16 bytes. */
  id: Uint8Array;
  file: number;
  index: number;
  /** Byte offset of the chunk in its file (index × the offer's chunk size). */
  offset: number;
}

/** An opened chunk: its authentic place and plaintext. */
export interface OpenedChunk extends ChunkPlace {
  bytes: Uint8Array;
}

/** Why a chunk was refused (docs/files.md §10). None is fatal to the link; the transfer refetches. */
export type ChunkErrorCode = 'CHUNK_MALFORMED' | 'CHUNK_TAMPERED' | 'CHUNK_REPLAYED';

/** A refused chunk; `claimed` is the place its cleartext header names (unauthenticated) when it parsed. */
export type ChunkRefusal = Failure<ChunkErrorCode> & { claimed: ChunkPlace | null };

/** The cleartext header, read without judging it (the AEAD does that). Null when it is not one. */
export function readChunkHeader(message: Uint8Array): (ChunkPlace & { seq: number }) | null {
  if (message.length < CHUNK_OVERHEAD || message.length > MAX_CHUNK_MESSAGE) return null;
  if (message[0] !== CHUNK_FRAME_VERSION || message[1] !== CHUNK_FRAME_TYPE) return null;
  const v = new DataView(message.buffer, message.byteOffset, CHUNK_HEADER_BYTES);
  const seq = v.getBigUint64(2),
    offset = v.getBigUint64(32);
  if (seq >= BigInt(MAX_CHUNK_SEQ) || offset > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return {
    seq: Number(seq),
    id: message.subarray(10, 26),
    file: v.getUint16(26),
    index: v.getUint32(28),
    offset: Number(offset),
  };
}

function writeHeader(out: Uint8Array, seq: number, p: ChunkPlace): void {
  const v = new DataView(out.buffer, out.byteOffset, CHUNK_HEADER_BYTES);
  out[0] = CHUNK_FRAME_VERSION;
  out[1] = CHUNK_FRAME_TYPE;
  v.setBigUint64(2, BigInt(seq));
  out.set(p.id, 10);
  v.setUint16(26, p.file);
  v.setUint32(28, p.index);
  v.setBigUint64(32, BigInt(p.offset));
}

function nonce(seq: number): Uint8Array<ArrayBuffer> {
  const n = new Uint8Array(12);
  const v = new DataView(n.buffer);
  v.setUint32(0, NONCE_DOMAIN);
  v.setBigUint64(4, BigInt(seq));
  return n;
}

/** label ‖ role ‖ header: everything in the header is authenticated. */
function associatedData(role: ChunkRole, header: Uint8Array): Uint8Array<ArrayBuffer> {
  const a = new Uint8Array(LABEL.length + 1 + CHUNK_HEADER_BYTES);
  a.set(LABEL);
  a[LABEL.length] = role === 'initiator' ? 1 : 2;
  a.set(header.subarray(0, CHUNK_HEADER_BYTES), LABEL.length + 1);
  return a;
}

function checkPlace(p: ChunkPlace): void {
  assertBytes('place.id', p?.id, 16);
  if (!Number.isInteger(p.file) || p.file < 0 || p.file > 0xffff) throw new RangeError('place.file: u16');
  if (!Number.isInteger(p.index) || p.index < 0 || p.index > 0xffffffff) throw new RangeError('place.index: u32');
  if (!Number.isSafeInteger(p.offset) || p.offset < 0)
    throw new RangeError('place.offset: a safe non-negative integer');
}

/** Thrown by {@link ChunkSealer.seal} once a file key has sealed its limit: the link must be renewed. */
export class ChunkLimitError extends Error {
  readonly code = 'CHUNK_SEND_LIMIT';
  constructor(what: string) {
    super(`file chunks: sender: ${what}; close the link, the next one draws a new file key`);
  }
}

/**
 * The sending end for one file key (docs/files.md §10). Seals start at once (WebCrypto runs
 * several in parallel) and resolve in call order, so `seal(a).then(send); seal(b).then(send)`
 * keeps seq order on the wire.
 */
export class ChunkSealer {
  #seq = 0;
  #sealed = 0;
  #tail: Promise<unknown> = Promise.resolve();
  /** Message buffers handed back by {@link ChunkSealer.release}, ready for the next seals. */
  readonly #free: ArrayBuffer[] = [];
  /** Every buffer this sealer made: only those are taken back. */
  readonly #mine = new WeakSet<ArrayBuffer>();

  private constructor(
    private readonly aead: Aead,
    private readonly role: ChunkRole,
  ) {}

  /** Takes ownership of `key` (32 bytes; zeroed once imported). */
  static async create(key: Uint8Array, role: ChunkRole, backend: AeadBackend = 'auto'): Promise<ChunkSealer> {
    assertBytes('key', key, 32);
    return new ChunkSealer(await createAead(key.slice(), backend), role);
  }

  /** File bytes sealed so far under this key. */
  get sealedBytes(): number {
    return this.#sealed;
  }

  /**
   * One sealed chunk message for `bytes` at `place`. `bytes` may be reused once this returns. The
   * message may be written into a buffer an earlier message was {@link ChunkSealer.release}d from.
   */
  seal(place: ChunkPlace, bytes: Uint8Array): Promise<Uint8Array> {
    checkPlace(place);
    assertBytes('bytes', bytes);
    if (bytes.length + CHUNK_OVERHEAD > MAX_CHUNK_MESSAGE)
      throw new RangeError(`bytes: ${bytes.length}, over ${MAX_CHUNK_MESSAGE - CHUNK_OVERHEAD}`);
    if (this.#seq >= MAX_CHUNK_SEQ) throw new ChunkLimitError(`${MAX_CHUNK_SEQ} chunks sealed`);
    if (this.#sealed + bytes.length > MAX_CHUNK_SEALED_BYTES)
      throw new ChunkLimitError(`${MAX_CHUNK_SEALED_BYTES} bytes sealed`);
    const seq = this.#seq++;
    this.#sealed += bytes.length;
    const header = new Uint8Array(CHUNK_HEADER_BYTES);
    writeHeader(header, seq, place);
    const sealing = this.aead.seal(nonce(seq), associatedData(this.role, header), bytes); // reads `bytes` now
    const out = Promise.all([sealing, this.#tail]).then(([ct]) => {
      // The one copy of the send path, into a buffer used before where one is free: a fresh
      // 256 KiB per chunk costs an allocation, a zero fill and the GC's work (docs/files.md §13).
      const m = new Uint8Array(this.#buffer(), 0, CHUNK_HEADER_BYTES + ct.length);
      m.set(header);
      m.set(ct, CHUNK_HEADER_BYTES);
      return m;
    });
    this.#tail = out.catch(() => undefined);
    return out;
  }

  /**
   * Gives back a message from {@link ChunkSealer.seal} once nothing reads it any more (a data
   * channel's `send` copies it before it returns): a later seal may overwrite it. Anything else is
   * ignored; at most {@link SEALER_POOL_BUFFERS} buffers are kept.
   */
  release(message: Uint8Array): void {
    const b = message.buffer;
    if (!(b instanceof ArrayBuffer) || !this.#mine.has(b)) return;
    if (this.#free.length < SEALER_POOL_BUFFERS && !this.#free.includes(b)) this.#free.push(b);
  }

  #buffer(): ArrayBuffer {
    const b = this.#free.pop();
    if (b) return b;
    const fresh = new ArrayBuffer(MAX_CHUNK_MESSAGE);
    this.#mine.add(fresh);
    return fresh;
  }

  destroy(): void {
    this.aead.destroy();
    this.#free.length = 0;
  }
}

/**
 * The receiving end for the peer's file key (docs/files.md §10). Opens start on arrival; results
 * are judged in call order: authentic, then seq above every seq accepted before.
 */
export class ChunkOpener {
  #last = -1;
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly aead: Aead,
    private readonly peerRole: ChunkRole,
  ) {}

  /** `key` is the peer's file key; `peerRole` the role of the side that seals with it. */
  static async create(key: Uint8Array, peerRole: ChunkRole, backend: AeadBackend = 'auto'): Promise<ChunkOpener> {
    assertBytes('key', key, 32);
    return new ChunkOpener(await createAead(key.slice(), backend), peerRole);
  }

  /** Opens one sealed chunk message; a refusal is returned, never thrown. */
  open(message: Uint8Array): Promise<{ ok: true; chunk: OpenedChunk } | ChunkRefusal> {
    assertBytes('message', message);
    const h = readChunkHeader(message);
    const opening = h
      ? this.aead.open(nonce(h.seq), associatedData(this.peerRole, message), message.subarray(CHUNK_HEADER_BYTES))
      : null;
    const judged = this.#tail.then(async () => {
      if (!h || !opening)
        return refusal('CHUNK_MALFORMED', null, `a ${message.length}-byte message is not a sealed chunk`);
      const claimed: ChunkPlace = { id: h.id.slice(), file: h.file, index: h.index, offset: h.offset };
      const bytes = await opening;
      if (!bytes)
        return refusal(
          'CHUNK_TAMPERED',
          claimed,
          `chunk ${h.file}:${h.index} failed authentication: altered, moved to another place or transfer, from another link, or reflected`,
        );
      if (h.seq <= this.#last)
        return refusal(
          'CHUNK_REPLAYED',
          claimed,
          `chunk ${h.file}:${h.index} carries seq ${h.seq}, not above ${this.#last}: replayed`,
        );
      this.#last = h.seq;
      return { ok: true as const, chunk: { ...claimed, bytes } };
    });
    this.#tail = judged.catch(() => undefined);
    return judged;
  }

  destroy(): void {
    this.aead.destroy();
  }
}

function refusal(code: ChunkErrorCode, claimed: ChunkPlace | null, why: string): ChunkRefusal {
  return { ...failure(code, 'receiver', 'file chunk', `file chunks: receiver: ${why}`), claimed };
}
