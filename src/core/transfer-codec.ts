/**
 * Binary codec of the file-transfer messages (docs/files.md, "Message formats").
 *
 * Every message starts with `version u8 ‖ type u8 ‖ transferId[16]`; integers are big-endian.
 * The codec is canonical: a byte string decodes to at most one message and that message encodes
 * back to the same bytes, so a flipped bit either fails to decode or yields a different message.
 * It carries no checksum of its own: control messages travel under the file key and the secure
 * frames, chunks sealed under the file key (docs/files.md §10); the whole-file SHA-256 that the
 * sender's `digest` message carries guards the file end to end (§11).
 *
 * This module is the codec's entry point: the header, {@link encodeTransfer} and
 * {@link decodeTransfer}. It re-exports the public parts of `transfer-codec-offer.ts` (file
 * descriptions and their bounds) and `transfer-codec-messages.ts` (message values and bodies),
 * which read and write through `transfer-codec-bytes.ts`; import them from here.
 * @module
 */
import { failure, type Failure, type Side } from './errors';
import { ByteReader, ByteWriter, type Malformed } from './transfer-codec-bytes';
import { readBody, writeBody, type TransferMessage } from './transfer-codec-messages';

export {
  CHUNK_HEADER_BYTES,
  type CancelReason,
  type DeclineReason,
  type NackReason,
  type TransferMessage,
  type TransferMessageOf,
} from './transfer-codec-messages';
export {
  checkFileOffer,
  chooseChunkSize,
  chunkCount,
  fileNameProblem,
  MAX_CHUNK_SIZE,
  MAX_CHUNKS,
  MAX_FILES,
  MAX_NAME_BYTES,
  MAX_OFFER_BYTES,
  MAX_TYPE_BYTES,
  MIN_CHUNK_SIZE,
  type FileOffer,
} from './transfer-codec-offer';

/** Protocol version byte (docs/files.md §1): 2 since offers carry no content hashes (§11). */
export const TRANSFER_VERSION = 2;
/** Length of a transfer id (random, chosen by the sender; docs/files.md §1). */
export const TRANSFER_ID_BYTES = 16;
/** Largest message the decoder accepts: Chromium's SCTP message limit (NOTES.md; docs/files.md §1). */
export const MAX_TRANSFER_MESSAGE = 262144;

/** Failure codes of {@link decodeTransfer} (docs/files.md §1, "Validation on decode"). */
export type TransferCodecErrorCode = 'TRANSFER_MALFORMED' | 'TRANSFER_VERSION' | 'TRANSFER_TOO_LARGE';

const TYPES = ['offer', 'accept', 'decline', 'digest', 'chunk', 'ack', 'nack', 'cancel', 'resume', 'complete'] as const;
const HEADER = 2 + TRANSFER_ID_BYTES;

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

/** Encodes a message (docs/files.md §1). Throws on values that cannot be encoded. */
export function encodeTransfer(m: TransferMessage): Uint8Array {
  if (!(m.id instanceof Uint8Array) || m.id.length !== TRANSFER_ID_BYTES)
    throw new TypeError('m.id: expected 16 bytes');
  const w = new ByteWriter();
  w.u8(TRANSFER_VERSION);
  w.u8(TYPES.indexOf(m.type) + 1);
  w.bytes(m.id);
  writeBody(w, m);
  return w.finish();
}

/** Decodes and validates one message (docs/files.md §1, "Validation on decode"); `side` is the
 *  side that is decoding (for the failure). */
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
  const r = new ByteReader(bytes, HEADER);
  try {
    const m = readBody(type, bytes.slice(2, HEADER), r, bad);
    if ('ok' in m) return m;
    if (!r.done()) return bad(`${bytes.length - r.pos} trailing bytes after a ${type} message`);
    return { ok: true, message: m };
  } catch (e) {
    return bad(e instanceof RangeError || e instanceof TypeError ? e.message : String(e));
  }
}
