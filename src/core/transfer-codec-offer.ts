/**
 * The offer of the file-transfer codec (docs/files.md §1, "offer" and "Chunk size"): the bounds on
 * files, names, media types and chunks, the file-name rules, chunk sizing, and the offer body. The
 * same checks guard both directions: a sender that breaks them made a mistake (thrown), a peer
 * whose offer breaks them sent a malformed message (returned).
 * @module
 */
import type { Failure } from './errors';
import type { ByteReader, ByteWriter, Malformed } from './transfer-codec-bytes';

/** Most files in one offer (docs/files.md §1, offer `n`). */
export const MAX_FILES = 256;
/** Longest file name, in UTF-8 bytes (docs/files.md §1, offer `nameLen`). */
export const MAX_NAME_BYTES = 255;
/** Longest media type, in UTF-8 bytes (docs/files.md §1, offer `typeLen`). */
export const MAX_TYPE_BYTES = 127;
/** Chunk size bounds; a chunk size is a multiple of 64 (the SHA-256 block, so midstates resume).
 *  The maximum (255 KiB) leaves 1 KiB under Chromium's 262144-byte SCTP message limit for the
 *  chunk header and the wire/frame envelopes (docs/files.md §1, "Chunk size"). */
export const MIN_CHUNK_SIZE = 1024;
/** Largest chunk size, 255 KiB: see {@link MIN_CHUNK_SIZE} (docs/files.md §1, "Chunk size"). */
export const MAX_CHUNK_SIZE = 261120;
/** Largest offer a sender may make: like a default chunk message, it fits a 64 KiB app message
 *  with 40 bytes to spare (docs/files.md §1). Many files with long names need several offers. */
export const MAX_OFFER_BYTES = 65496;
/** Most chunks per file: 2^22 (a 256 GiB file at the default chunk size, 1 TiB at the largest);
 *  {@link chooseChunkSize} picks a larger chunk for larger files (docs/files.md §1, "Chunk size"). */
export const MAX_CHUNKS = 2 ** 22;

/** One file as described in an offer (docs/files.md §1, offer). */
export interface FileOffer {
  name: string;
  type: string;
  size: number;
  chunkSize: number;
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Why a file name is unsafe to hand to a file system, or null when it is fine (docs/files.md §1,
 *  "Validation on decode"). */
export function fileNameProblem(name: string): string | null {
  const n = utf8.encode(name).length;
  if (n === 0 || n > MAX_NAME_BYTES) return `name must be 1..${MAX_NAME_BYTES} UTF-8 bytes, got ${n}`;
  if (name === '.' || name === '..') return 'name may not be "." or ".."';
  // \p{Cc} is C0, DEL and C1 (U+0080–U+009F: NEL, CSI, …), all of which are control characters.
  if (/[/\\\p{Cc}]/u.test(name)) return 'name may not contain "/", "\\" or control characters';
  return null;
}

/** Number of chunks of a file of `size` bytes (0 for an empty file; docs/files.md §1, chunk). */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

/** The chunk size for a file: `preferred` (a multiple of 64), or the smallest larger multiple of 64
 *  that keeps the file within {@link MAX_CHUNKS} chunks. Throws for files above MAX_CHUNKS × MAX_CHUNK_SIZE (1 TiB).
 *  (docs/files.md §1, "Chunk size") */
export function chooseChunkSize(size: number, preferred: number): number {
  const need = Math.ceil(Math.ceil(size / MAX_CHUNKS) / 64) * 64;
  const c = Math.max(preferred, need);
  if (c > MAX_CHUNK_SIZE)
    throw new RangeError(`size: ${size} bytes is more than one offer can describe (${MAX_CHUNKS} × ${MAX_CHUNK_SIZE})`);
  return c;
}

/** Throws unless the file description is encodable (programmer mistake on the sending side;
 *  docs/files.md §1, offer). */
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

/** Writes the offer body: `u16 n` then n file descriptions (docs/files.md §1, offer). Throws on a
 *  description that {@link checkFileOffer} refuses. */
export function writeOfferFiles(w: ByteWriter, files: FileOffer[]): void {
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

/** Reads the offer body (docs/files.md §1, offer): a peer's out-of-bounds count or description is
 *  returned as TRANSFER_MALFORMED; running out of bytes or invalid UTF-8 throws for the caller to
 *  turn into one. */
export function readOfferFiles(r: ByteReader, bad: Malformed): FileOffer[] | Failure<'TRANSFER_MALFORMED'> {
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
