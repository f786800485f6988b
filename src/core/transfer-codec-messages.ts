/**
 * The ten file-transfer messages as values and their bodies, the bytes after the 18-byte header
 * (docs/files.md §1, "Bodies"): reason codes, strictly ascending index lists, the chunk's bounds.
 * The offer body lives in `transfer-codec-offer.ts`, the header in `transfer-codec.ts`.
 * @module
 */
import type { Failure } from './errors';
import type { ByteReader, ByteWriter, Malformed } from './transfer-codec-bytes';
import { MAX_CHUNK_SIZE, readOfferFiles, writeOfferFiles, type FileOffer } from './transfer-codec-offer';

/** Bytes before the payload of a `chunk` message: header, `u16 file`, `u32 index` (docs/files.md §1, chunk). */
export const CHUNK_HEADER_BYTES = 24;

/** Why a receiver declined an offer (docs/files.md §1, decline). */
export type DeclineReason = 'user' | 'too-large' | 'busy';
/** Why either side cancelled (docs/files.md §1, cancel). */
export type CancelReason = 'user' | 'integrity' | 'error' | 'timeout';
/** Why a receiver asks for a chunk again (docs/files.md §1, nack): refused by the sealed-chunk
 *  layer or at a wrong offset (`refused`), or of the wrong length. */
export type NackReason = 'refused' | 'length';

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

/** The message of one type, e.g. `TransferMessageOf<'chunk'>` (docs/files.md §1). */
export type TransferMessageOf<T extends TransferMessage['type']> = Extract<TransferMessage, { type: T }>;

// Reason codes on the wire are the index here plus one (docs/files.md §1).
const DECLINE: DeclineReason[] = ['user', 'too-large', 'busy'];
const CANCEL: CancelReason[] = ['user', 'integrity', 'error', 'timeout'];
const NACK: NackReason[] = ['refused', 'length'];

/** Writes the fields after the header, by type (docs/files.md §1, "Bodies"). Throws on values that
 *  cannot be encoded. */
export function writeBody(w: ByteWriter, m: TransferMessage): void {
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

/** Reads the fields after the header, by type (docs/files.md §1, "Bodies"); the reader throws
 *  RangeError when they run out. The caller checks that no bytes are left over. */
export function readBody(
  type: TransferMessage['type'],
  id: Uint8Array,
  r: ByteReader,
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

function readResume(id: Uint8Array, r: ByteReader, bad: Malformed): TransferMessage | Failure<'TRANSFER_MALFORMED'> {
  const n = r.u16(),
    files: { file: number; verified: number }[] = [];
  for (let i = 0; i < n; i++) files.push({ file: r.u16(), verified: r.u32() });
  if (files.some((f, i) => i > 0 && f.file <= files[i - 1]!.file)) return bad('resume entries do not ascend strictly');
  return { type: 'resume', id, files };
}
