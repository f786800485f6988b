/**
 * Mailbox blobs (docs/protocol-app.md §3.6; DESIGN.md "Layers: mailbox"): what a sender leaves at
 * the relay for a contact who is offline. From a 32-byte mailbox secret M (one per contact, per
 * direction and per UTC day: `mailboxDaySecret` in src/net/session-derive.ts):
 *
 *   address  = base64url(HKDF-SHA256(M, info = "parley/mailbox/address/1", 32))   — what the relay sees
 *   seal key =           HKDF-SHA256(M, info = "parley/mailbox/seal/1", 32)
 *   blob     = 0x01 ‖ nonce(24) ‖ XChaCha20-Poly1305(key, nonce, aad = 0x01, padded)
 *   padded   = u32 BE len(plaintext) ‖ plaintext ‖ zeros, so that the blob is exactly one of
 *              MAILBOX_SIZE_CLASSES (1, 4, 16 or 32 KiB)
 *
 * The client pads, inside the seal (so the relay can neither see nor strip the padding); the relay
 * refuses any blob whose length is not a class. So the relay learns of a message only which of
 * four sizes it falls in.
 * @module
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { toBase64Url } from './base64url';
import { assertBytes, failure, type Failure } from './errors';
import { randomBytesFrom, type RandomSource } from './identity';

/** Sealed blob sizes, in bytes (must equal server/protocol-mailbox.ts's list). */
export const MAILBOX_SIZE_CLASSES = [1024, 4096, 16384, 32768] as const;
/** First byte of a sealed mailbox blob, also its AEAD associated data. */
export const MAILBOX_BLOB_VERSION = 1;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;
const OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES;
/** Largest plaintext that fits the largest class (32 768 − 41 − 4 = 32 723 bytes). */
export const MAX_MAILBOX_PLAINTEXT = MAILBOX_SIZE_CLASSES[3] - OVERHEAD - 4;
const DAY_MS = 86_400_000;

const enc = new TextEncoder();
const ADDRESS_INFO = enc.encode('parley/mailbox/address/1');
const SEAL_INFO = enc.encode('parley/mailbox/seal/1');
const AAD = Uint8Array.of(MAILBOX_BLOB_VERSION);

/** Why a mailbox blob was refused (docs/protocol-app.md §3.6). */
export type MailboxBlobErrorCode = 'MAILBOX_BLOB_MALFORMED' | 'MAILBOX_BLOB_BAD_SEAL';

/** The relay address of a mailbox secret: base64url of 32 bytes, 43 characters. */
export function mailboxAddress(secret: Uint8Array): string {
  assertBytes('secret', secret, 32);
  return toBase64Url(hkdf(sha256, secret, undefined, ADDRESS_INFO, 32));
}

/** The size class a plaintext of `n` bytes is sealed into, or null when it is too long for any. */
export function mailboxClassFor(n: number): number | null {
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError('n: expected a non-negative integer');
  return MAILBOX_SIZE_CLASSES.find((size) => n + 4 + OVERHEAD <= size) ?? null;
}

/** Seals `plaintext` for the holder of the same mailbox secret, padded to its size class. */
export function sealMailboxBlob(secret: Uint8Array, plaintext: Uint8Array, random: RandomSource): Uint8Array {
  assertBytes('secret', secret, 32);
  assertBytes('plaintext', plaintext);
  const size = mailboxClassFor(plaintext.length);
  if (size === null)
    throw new RangeError(`plaintext: ${plaintext.length} bytes, at most ${MAX_MAILBOX_PLAINTEXT} fit a mailbox blob`);
  const padded = new Uint8Array(size - OVERHEAD);
  new DataView(padded.buffer).setUint32(0, plaintext.length);
  padded.set(plaintext, 4);
  const nonce = randomBytesFrom(random, NONCE_BYTES);
  const key = hkdf(sha256, secret, undefined, SEAL_INFO, 32);
  const sealed = xchacha20poly1305(key, nonce, AAD).encrypt(padded);
  key.fill(0);
  padded.fill(0);
  const blob = new Uint8Array(size);
  blob[0] = MAILBOX_BLOB_VERSION;
  blob.set(nonce, 1);
  blob.set(sealed, 1 + NONCE_BYTES);
  return blob;
}

/**
 * Opens a blob fetched from the address of `secret`. Anything not sealed under this secret — a
 * blob the relay made up or altered — is `MAILBOX_BLOB_BAD_SEAL`; a blob of impossible shape is
 * `MAILBOX_BLOB_MALFORMED`. Either way the caller acknowledges it (so it is deleted) and moves on.
 * Replays are not detected here: the ratchet inside refuses them.
 */
export function openMailboxBlob(
  secret: Uint8Array,
  blob: Uint8Array,
): { ok: true; plaintext: Uint8Array } | Failure<MailboxBlobErrorCode> {
  assertBytes('secret', secret, 32);
  assertBytes('blob', blob);
  if (!(MAILBOX_SIZE_CLASSES as readonly number[]).includes(blob.length))
    return bad('MAILBOX_BLOB_MALFORMED', 'length', `mailbox blob of ${blob.length} bytes is not a size class`);
  if (blob[0] !== MAILBOX_BLOB_VERSION)
    return bad(
      'MAILBOX_BLOB_MALFORMED',
      'version',
      `mailbox blob version ${blob[0]} is not supported (a newer sender?)`,
    );
  const key = hkdf(sha256, secret, undefined, SEAL_INFO, 32);
  let opened: Uint8Array;
  try {
    opened = xchacha20poly1305(key, blob.subarray(1, 1 + NONCE_BYTES), AAD).decrypt(blob.subarray(1 + NONCE_BYTES));
  } catch {
    return bad('MAILBOX_BLOB_BAD_SEAL', 'open', 'mailbox blob does not open with this secret: not from the contact');
  } finally {
    key.fill(0);
  }
  const length = new DataView(opened.buffer, opened.byteOffset, opened.byteLength).getUint32(0);
  if (length > opened.length - 4 || opened.subarray(4 + length).some((b) => b !== 0))
    return bad(
      'MAILBOX_BLOB_MALFORMED',
      'padding',
      'mailbox blob has a bad length prefix or padding (a bug in the sender)',
    );
  return { ok: true, plaintext: opened.slice(4, 4 + length) };
}

/**
 * The UTC days whose mailbox addresses a receiver drains at `now`: from the oldest day a blob can
 * still be kept (`ttlS` back) — or from `sinceDay`, the day of its last complete drain, if later —
 * up to today, plus tomorrow within `skewMs` of midnight (a sender whose clock runs ahead). A
 * sender puts at the address of `dayOf(now)` by its own clock.
 */
export function mailboxDays(now: number, ttlS: number, sinceDay?: number, skewMs = 10 * 60 * 1000): number[] {
  if (!Number.isFinite(now) || now < 0) throw new TypeError('now: expected a non-negative time');
  if (!Number.isSafeInteger(ttlS) || ttlS <= 0) throw new TypeError('ttlS: expected a positive integer');
  const today = Math.floor(now / DAY_MS);
  let first = Math.floor(Math.max(0, now - ttlS * 1000 - skewMs) / DAY_MS);
  if (sinceDay !== undefined) first = Math.max(first, Math.min(sinceDay, today));
  const last = Math.floor((now + skewMs) / DAY_MS);
  const days: number[] = [];
  for (let d = first; d <= last; d++) days.push(d);
  return days;
}

function bad<C extends MailboxBlobErrorCode>(code: C, step: string, message: string): Failure<C> {
  return failure(code, 'receiver', `mailbox: ${step}`, message);
}
