/**
 * Binary codec of the file-transfer messages (docs/files.md, "Message formats").
 *
 * Every message starts with `version u8 ‖ type u8 ‖ transferId[16]`; integers are big-endian.
 * The codec is canonical: a byte string decodes to at most one message and that message encodes
 * back to the same bytes, so a flipped bit either fails to decode or yields a different message.
 * It carries no checksum of its own: control messages travel under the file key and the secure
 * frames, chunks sealed under the file key (docs/files.md §10); the whole-file SHA-256 that the
 * sender's `digest` message carries guards the file end to end (§11).
 * @module
 */
import { failure, type Failure, type Side } from './errors';

/** Protocol version byte (docs/files.md §1): 2 since offers carry no content hashes (§11). */
export const TRANSFER_VERSION = 2;
/** Length of a transfer id (random, chosen by the sender). */
export const TRANSFER_ID_BYTES = 16;
/** Largest message the decoder accepts: Chromium's SCTP message limit (NOTES.md). */
export const MAX_TRANSFER_MESSAGE = 262144;
/** Most files in one offer. */
export const MAX_FILES = 256;
/** Longest file name / media type, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 255;
/** Longest media type, in UTF-8 bytes. */
export const MAX_TYPE_BYTES = 127;
/** Chunk size bounds; a chunk size is a multiple of 64 (the SHA-256 block, so midstates resume).
 *  The maximum (255 KiB) leaves 1 KiB under Chromium's 262144-byte SCTP message limit for the
 *  chunk header and the wire/frame envelopes. */
export const MIN_CHUNK_SIZE = 1024;
export const MAX_CHUNK_SIZE = 261120;
/** Largest offer a sender may make: like a default chunk message, it fits a 64 KiB app message
 *  with 40 bytes to spare (docs/files.md §1). Many files with long names need several offers. */
export const MAX_OFFER_BYTES = 65496;
/** Bytes before the payload of a `chunk` message. */
export const CHUNK_HEADER_BYTES = 24;
/** Most chunks per file: 2^22 (a 256 GiB file at the default chunk size, 1 TiB at the largest);
 *  {@link chooseChunkSize} picks a larger chunk for larger files. */
export const MAX_CHUNKS = 2 ** 22;

/** Why a receiver declined an offer (docs/files.md §1, decline). */
export type DeclineReason = 'user' | 'too-large' | 'busy';
/** Why either side cancelled (docs/files.md §1, cancel). */
export type CancelReason = 'user' | 'integrity' | 'error' | 'timeout';
/** Why a receiver asks for a chunk again (docs/files.md §1, nack): refused by the sealed-chunk
 *  layer or at a wrong offset (`refused`), or of the wrong length. */
export type NackReason = 'refused' | 'length';

/** One file as described in an offer. */
export interface FileOffer {
  name: string;
  type: string;
  size: number;
  chunkSize: number;
}

/** One decoded transfer message (docs/files.md §1); `id` is the 16-byte transfer id. */
export type TransferMessage =
  | { type: 'offer'; id: Uint8Array; files: FileOffer[] }
  | { type: 'accept'; id: Uint8Array; windowBytes: number; files: number[] }
  | { type: 'decline'; id: Uint8Array; reason: DeclineReason }
  | { type: 'digest'; id: Uint8Array; file: number; sha256: Uint8Array }
  // `offset`: set on chunks that arrived sealed (docs/files.md §10), whose sealing bound it; never encoded here
  | { type: 'chunk'; id: Uint8Array; file: number; index: number; bytes: Uint8Array; offset?: number }
  | { type: 'ack'; id: Uint8Array; file: number; verified: number }
  | { type: 'nack'; id: Uint8Array; file: number; index: number; reason: NackReason }
  | { type: 'cancel'; id: Uint8Array; reason: CancelReason }
  | { type: 'resume'; id: Uint8Array; files: { file: number; verified: number }[] }
  | { type: 'complete'; id: Uint8Array };

/** The message of one type, e.g. `TransferMessageOf<'chunk'>`. */
export type TransferMessageOf<T extends TransferMessage['type']> = Extract<TransferMessage, { type: T }>;

/** Failure codes of {@link decodeTransfer}. */
export type TransferCodecErrorCode = 'TRANSFER_MALFORMED' | 'TRANSFER_VERSION' | 'TRANSFER_TOO_LARGE';

const TYPES = ['offer', 'accept', 'decline', 'digest', 'chunk', 'ack', 'nack', 'cancel', 'resume', 'complete'] as const;
/**
 * The type byte (offset 1) of an encoded message of `type` (docs/files.md §1). For glue that must
 * recognise a message it is handed without decoding it (the manager holds `complete` until the
 * receiver's finished state is saved).
 */
export function transferTypeCode(type: TransferMessage['type']): number {
  const i = TYPES.indexOf(type);
  if (i < 0) throw new TypeError(`type: unknown transfer message type ${String(type)}`);
  return i + 1;
}
const DECLINE: DeclineReason[] = ['user', 'too-large', 'busy'];
const CANCEL: CancelReason[] = ['user', 'integrity', 'error', 'timeout'];
const NACK: NackReason[] = ['refused', 'length'];
const HEADER = 2 + TRANSFER_ID_BYTES;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Why a file name is unsafe to hand to a file system, or null when it is fine. */
export function fileNameProblem(name: string): string | null {
  const n = utf8.encode(name).length;
  if (n === 0 || n > MAX_NAME_BYTES) return `name must be 1..${MAX_NAME_BYTES} UTF-8 bytes, got ${n}`;
  if (name === '.' || name === '..') return 'name may not be "." or ".."';
  // \p{Cc} is C0, DEL and C1 (U+0080–U+009F: NEL, CSI, …), all of which are control characters.
  if (/[/\\\p{Cc}]/u.test(name)) return 'name may not contain "/", "\\" or control characters';
  return null;
}

/** Number of chunks of a file of `size` bytes (0 for an empty file). */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

/** The chunk size for a file: `preferred` (a multiple of 64), or the smallest larger multiple of 64
 *  that keeps the file within {@link MAX_CHUNKS} chunks. Throws for files above MAX_CHUNKS × MAX_CHUNK_SIZE (1 TiB). */
export function chooseChunkSize(size: number, preferred: number): number {
  const need = Math.ceil(Math.ceil(size / MAX_CHUNKS) / 64) * 64;
  const c = Math.max(preferred, need);
  if (c > MAX_CHUNK_SIZE)
    throw new RangeError(`size: ${size} bytes is more than one offer can describe (${MAX_CHUNKS} × ${MAX_CHUNK_SIZE})`);
  return c;
}

/** Throws unless the file description is encodable (programmer mistake on the sending side). */
export function checkFileOffer(f: FileOffer, where: string): void {
  const p = fileNameProblem(f.name);
  if (p) throw new RangeError(`${where}.name: ${p}`);
  if (utf8.encode(f.type).length > MAX_TYPE_BYTES)
    throw new RangeError(`${where}.type: longer than ${MAX_TYPE_BYTES} bytes`);
  if (!Number.isSafeInteger(f.size) || f.size < 0)
    throw new RangeError(`${where}.size: not a safe non-negative integer`);
  if (
    !Number.isInteger(f.chunkSize) ||
    f.chunkSize < MIN_CHUNK_SIZE ||
    f.chunkSize > MAX_CHUNK_SIZE ||
    f.chunkSize % 64
  )
    throw new RangeError(`${where}.chunkSize: must be a multiple of 64 in ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE}`);
  if (chunkCount(f.size, f.chunkSize) > MAX_CHUNKS)
    throw new RangeError(`${where}: more than ${MAX_CHUNKS} chunks; use a larger chunkSize`);
}

/** Encodes a message (docs/files.md §1). Throws on values that cannot be encoded. */
export function encodeTransfer(m: TransferMessage): Uint8Array {
  if (!(m.id instanceof Uint8Array) || m.id.length !== TRANSFER_ID_BYTES)
    throw new TypeError('m.id: expected 16 bytes');
  const w = new Writer();
  w.u8(TRANSFER_VERSION);
  w.u8(TYPES.indexOf(m.type) + 1);
  w.bytes(m.id);
  writeBody(w, m);
  return w.finish();
}

/** The fields after the header, by type (docs/files.md §1). */
function writeBody(w: Writer, m: TransferMessage): void {
  switch (m.type) {
    case 'offer':
      return writeOfferFiles(w, m.files);
    case 'accept':
      w.u32(m.windowBytes);
      w.u16(m.files.length);
      m.files.forEach((f, i) => {
        if (i > 0 && f <= m.files[i - 1]!) throw new RangeError('m.files: must ascend strictly');
        w.u16(f);
      });
      return;
    case 'decline':
      return w.u8(DECLINE.indexOf(m.reason) + 1);
    case 'digest':
      if (!(m.sha256 instanceof Uint8Array) || m.sha256.length !== 32)
        throw new TypeError('m.sha256: expected 32 bytes');
      w.u16(m.file);
      return w.bytes(m.sha256);
    case 'chunk':
      if (m.bytes.length === 0 || m.bytes.length > MAX_CHUNK_SIZE)
        throw new RangeError('m.bytes: 1..MAX_CHUNK_SIZE bytes');
      w.u16(m.file);
      w.u32(m.index);
      return w.bytes(m.bytes);
    case 'ack':
      w.u16(m.file);
      return w.u32(m.verified);
    case 'nack':
      w.u16(m.file);
      w.u32(m.index);
      return w.u8(NACK.indexOf(m.reason) + 1);
    case 'cancel':
      return w.u8(CANCEL.indexOf(m.reason) + 1);
    case 'resume':
      w.u16(m.files.length);
      m.files.forEach((f, i) => {
        if (i > 0 && f.file <= m.files[i - 1]!.file) throw new RangeError('m.files: must ascend strictly by file');
        w.u16(f.file);
        w.u32(f.verified);
      });
      return;
    case 'complete':
      return;
  }
}

function writeOfferFiles(w: Writer, files: FileOffer[]): void {
  if (files.length < 1 || files.length > MAX_FILES) throw new RangeError(`m.files: 1..${MAX_FILES} files`);
  w.u16(files.length);
  files.forEach((f, i) => {
    checkFileOffer(f, `m.files[${i}]`);
    const name = utf8.encode(f.name),
      type = utf8.encode(f.type);
    w.u8(name.length);
    w.bytes(name);
    w.u8(type.length);
    w.bytes(type);
    w.u64(f.size);
    w.u32(f.chunkSize);
  });
}

/** Decodes and validates one message; `side` is the side that is decoding (for the failure). */
export function decodeTransfer(
  bytes: Uint8Array,
  side: Side,
): { ok: true; message: TransferMessage } | Failure<TransferCodecErrorCode> {
  const bad: Malformed = (why) =>
    failure('TRANSFER_MALFORMED' as const, side, 'decode', `malformed transfer message from the peer: ${why}`);
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes: expected Uint8Array');
  if (bytes.length > MAX_TRANSFER_MESSAGE)
    return failure(
      'TRANSFER_TOO_LARGE',
      side,
      'decode',
      `transfer message of ${bytes.length} bytes exceeds ${MAX_TRANSFER_MESSAGE}`,
    );
  if (bytes.length < HEADER) return bad(`${bytes.length} bytes is shorter than the ${HEADER}-byte header`);
  if (bytes[0] !== TRANSFER_VERSION)
    return failure(
      'TRANSFER_VERSION',
      side,
      'decode',
      `transfer protocol version ${bytes[0]} is not supported (want ${TRANSFER_VERSION}); the peer runs another Parley version`,
    );
  const type = TYPES[bytes[1]! - 1];
  if (!type) return bad(`unknown message type ${bytes[1]}`);
  const r = new Reader(bytes, HEADER);
  try {
    const m = readBody(type, bytes.slice(2, HEADER), r, bad);
    if ('ok' in m) return m;
    if (!r.done()) return bad(`${bytes.length - r.pos} trailing bytes after a ${type} message`);
    return { ok: true, message: m };
  } catch (e) {
    return bad(e instanceof RangeError || e instanceof TypeError ? e.message : String(e));
  }
}

/** Makes the TRANSFER_MALFORMED failure of one decode. */
type Malformed = (why: string) => Failure<'TRANSFER_MALFORMED'>;

/** The fields after the header, by type; the Reader throws RangeError when they run out. */
function readBody(
  type: TransferMessage['type'],
  id: Uint8Array,
  r: Reader,
  bad: Malformed,
): TransferMessage | Failure<'TRANSFER_MALFORMED'> {
  switch (type) {
    case 'offer': {
      const files = readOfferFiles(r, bad);
      return Array.isArray(files) ? { type, id, files } : files;
    }
    case 'accept': {
      const windowBytes = r.u32(),
        n = r.u16(),
        files: number[] = [];
      for (let i = 0; i < n; i++) files.push(r.u16());
      if (files.some((f, i) => i > 0 && f <= files[i - 1]!)) return bad('accepted file indices do not ascend strictly');
      return { type, id, windowBytes, files };
    }
    case 'decline': {
      const reason = DECLINE[r.u8() - 1];
      return reason ? { type, id, reason } : bad('unknown decline reason');
    }
    case 'digest':
      return { type, id, file: r.u16(), sha256: r.bytes(32).slice() };
    case 'chunk': {
      const file = r.u16(),
        index = r.u32(),
        chunk = r.rest();
      if (chunk.length === 0 || chunk.length > MAX_CHUNK_SIZE) return bad(`chunk of ${chunk.length} bytes`);
      return { type, id, file, index, bytes: chunk };
    }
    case 'ack':
      return { type, id, file: r.u16(), verified: r.u32() };
    case 'nack': {
      const file = r.u16(),
        index = r.u32(),
        reason = NACK[r.u8() - 1];
      return reason ? { type, id, file, index, reason } : bad('unknown nack reason');
    }
    case 'cancel': {
      const reason = CANCEL[r.u8() - 1];
      return reason ? { type, id, reason } : bad('unknown cancel reason');
    }
    case 'resume':
      return readResume(id, r, bad);
    case 'complete':
      return { type, id };
  }
}

function readOfferFiles(r: Reader, bad: Malformed): FileOffer[] | Failure<'TRANSFER_MALFORMED'> {
  const n = r.u16();
  if (n < 1 || n > MAX_FILES) return bad(`offer of ${n} files`);
  const files: FileOffer[] = [];
  for (let i = 0; i < n; i++) {
    const name = utf8Strict.decode(r.bytes(r.u8())),
      ftype = utf8Strict.decode(r.bytes(r.u8()));
    const f = {
      name,
      type: ftype,
      size: r.u64(),
      chunkSize: r.u32(),
    };
    try {
      checkFileOffer(f, `file ${i}`);
    } catch (e) {
      return bad((e as Error).message);
    }
    files.push(f);
  }
  return files;
}

function readResume(id: Uint8Array, r: Reader, bad: Malformed): TransferMessage | Failure<'TRANSFER_MALFORMED'> {
  const n = r.u16(),
    files: { file: number; verified: number }[] = [];
  for (let i = 0; i < n; i++) files.push({ file: r.u16(), verified: r.u32() });
  if (files.some((f, i) => i > 0 && f.file <= files[i - 1]!.file)) return bad('resume entries do not ascend strictly');
  return { type: 'resume', id, files };
}

class Writer {
  private buf = new Uint8Array(64);
  private len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  u8(v: number): void {
    this.uint(v, 1);
  }
  u16(v: number): void {
    this.uint(v, 2);
  }
  u32(v: number): void {
    this.uint(v, 4);
  }
  u64(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`u64: ${v} is not a safe non-negative integer`);
    this.uint(Math.floor(v / 2 ** 32), 4);
    this.uint(v % 2 ** 32, 4);
  }
  private uint(v: number, n: number): void {
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** (8 * n)) throw new RangeError(`u${8 * n}: ${v} out of range`);
    this.room(n);
    for (let i = n - 1; i >= 0; i--) {
      this.buf[this.len + i] = v & 0xff;
      v = Math.floor(v / 256);
    }
    this.len += n;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  finish(): Uint8Array {
    return this.len === this.buf.length ? this.buf : this.buf.slice(0, this.len);
  }
}

class Reader {
  constructor(
    private readonly b: Uint8Array,
    public pos: number,
  ) {}
  private take(n: number): Uint8Array {
    if (this.pos + n > this.b.length)
      throw new RangeError(`truncated: need ${n} bytes at offset ${this.pos}, have ${this.b.length - this.pos}`);
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  private uint(n: number): number {
    let v = 0;
    for (const x of this.take(n)) v = v * 256 + x;
    return v;
  }
  u8(): number {
    return this.uint(1);
  }
  u16(): number {
    return this.uint(2);
  }
  u32(): number {
    return this.uint(4);
  }
  u64(): number {
    const hi = this.uint(4),
      lo = this.uint(4);
    if (hi > 0x1fffff) throw new RangeError('size above 2^53-1');
    return hi * 2 ** 32 + lo;
  }
  bytes(n: number): Uint8Array {
    return this.take(n);
  }
  rest(): Uint8Array {
    return this.take(this.b.length - this.pos);
  }
  done(): boolean {
    return this.pos === this.b.length;
  }
}
