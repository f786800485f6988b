/**
 * Rendezvous: where two peers meet on the signaling relay, and the sealing of what they say
 * there (DESIGN.md "Layers: rendezvous", "What the signaling server may learn";
 * docs/protocol-app.md §3).
 *
 * From a 32-byte rendezvous secret S:
 *   room id  = base64url(HKDF-SHA256(S, salt = "", info = "parley/rendezvous/room/1", 32))
 *   seal key =           HKDF-SHA256(S, salt = "", info = "parley/rendezvous/seal/1", 32)
 * Different labels make the two independent: the relay knows the room id and learns nothing
 * about the key or S (HKDF is one-way).
 *
 * Sealed signal: 0x01 ‖ nonce(24) ‖ XChaCha20-Poly1305(key, nonce, aad = 0x01, padded), where
 * padded = u32 BE length ‖ plaintext ‖ zeros up to a multiple of 512 bytes, so the relay sees
 * only which 512-byte bucket an SDP or ICE candidate falls in.
 * @module
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { assertBytes, failure, type Failure } from './errors';
import { toBase64Url } from './base64url';
import { randomBytesFrom, type RandomSource } from './identity';

/** Why a sealed signal was refused (docs/protocol-app.md §3.2). */
export type SignalErrorCode = 'SIGNAL_MALFORMED' | 'SIGNAL_BAD_SEAL';
/** Result of {@link openSignal} (docs/protocol-app.md §3.2). */
export type OpenSignalResult = { ok: true; plaintext: Uint8Array } | Failure<SignalErrorCode>;

/** First byte of a sealed blob, also its AEAD associated data (docs/protocol-app.md §3.2). */
export const SEALED_SIGNAL_VERSION = 1;
/** Padded plaintexts are multiples of this many bytes. */
export const SIGNAL_BUCKET_BYTES = 512;
/**
 * Largest plaintext {@link sealSignal} takes: a sealed blob stays ≤ 32 809 bytes, whose
 * base64url (43 746 characters) fits the relay's 65 536-byte message limit with room to spare.
 */
export const MAX_SIGNAL_PLAINTEXT = 32768 - 4;
const MAX_PADDED = 32768;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;
const OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES;
const DAY_MS = 86_400_000;

const enc = new TextEncoder();
const ROOM_INFO = enc.encode('parley/rendezvous/room/1');
const SEAL_INFO = enc.encode('parley/rendezvous/seal/1');
const CONTACT_SECRET_INFO = enc.encode('parley/contact-secret/1');
const CONTACT_DAY_INFO = enc.encode('parley/rendezvous/contact-day/1');
const AAD = Uint8Array.of(SEALED_SIGNAL_VERSION);

/** The relay room for a rendezvous secret: base64url of 32 bytes, 43 characters (docs/protocol-app.md §3.1). */
export function roomId(secret: Uint8Array): string {
  assertBytes('secret', secret, 32);
  return toBase64Url(hkdf(sha256, secret, undefined, ROOM_INFO, 32));
}

function sealKey(secret: Uint8Array): Uint8Array {
  return hkdf(sha256, secret, undefined, SEAL_INFO, 32);
}

/** Seals a signaling payload for the peer who holds the same secret (docs/protocol-app.md §3.2). */
export function sealSignal(secret: Uint8Array, plaintext: Uint8Array, random: RandomSource): Uint8Array {
  assertBytes('secret', secret, 32);
  assertBytes('plaintext', plaintext);
  if (plaintext.length > MAX_SIGNAL_PLAINTEXT)
    throw new RangeError(`plaintext: ${plaintext.length} bytes, at most ${MAX_SIGNAL_PLAINTEXT} can be sealed`);
  const paddedLength = Math.ceil((4 + plaintext.length) / SIGNAL_BUCKET_BYTES) * SIGNAL_BUCKET_BYTES;
  const padded = new Uint8Array(paddedLength);
  new DataView(padded.buffer).setUint32(0, plaintext.length);
  padded.set(plaintext, 4);
  const nonce = randomBytesFrom(random, NONCE_BYTES);
  const key = sealKey(secret);
  const sealed = xchacha20poly1305(key, nonce, AAD).encrypt(padded);
  key.fill(0);
  padded.fill(0);
  const blob = new Uint8Array(1 + NONCE_BYTES + sealed.length);
  blob[0] = SEALED_SIGNAL_VERSION;
  blob.set(nonce, 1);
  blob.set(sealed, 1 + NONCE_BYTES);
  return blob;
}

/**
 * Opens a sealed blob received in the room. A blob sealed under another secret, or altered on
 * the way, is `SIGNAL_BAD_SEAL`; a blob of impossible shape is `SIGNAL_MALFORMED`
 * (docs/protocol-app.md §3.2). Replays are not detected here: the envelope's per-attempt
 * session id ({@link SignalEnvelope}) lets the caller drop them.
 */
export function openSignal(secret: Uint8Array, blob: Uint8Array): OpenSignalResult {
  assertBytes('secret', secret, 32);
  assertBytes('blob', blob);
  const padded = blob.length - OVERHEAD;
  if (padded < SIGNAL_BUCKET_BYTES || padded > MAX_PADDED || padded % SIGNAL_BUCKET_BYTES !== 0)
    return bad(
      'SIGNAL_MALFORMED',
      'length',
      `sealed signal of ${blob.length} bytes has an impossible length (the peer runs another Parley version, or the relay cut it)`,
    );
  if (blob[0] !== SEALED_SIGNAL_VERSION)
    return bad(
      'SIGNAL_MALFORMED',
      'version',
      `sealed signal version ${blob[0]} is not supported (the peer runs another Parley version)`,
    );
  const key = sealKey(secret);
  let opened: Uint8Array;
  try {
    opened = xchacha20poly1305(key, blob.subarray(1, 1 + NONCE_BYTES), AAD).decrypt(blob.subarray(1 + NONCE_BYTES));
  } catch {
    return bad(
      'SIGNAL_BAD_SEAL',
      'open',
      'sealed signal does not open with this rendezvous secret: sent by someone else in the room, or altered in transit',
    );
  } finally {
    key.fill(0);
  }
  const length = new DataView(opened.buffer, opened.byteOffset, opened.byteLength).getUint32(0);
  if (length > opened.length - 4 || opened.subarray(4 + length).some((b) => b !== 0))
    return bad('SIGNAL_MALFORMED', 'padding', 'sealed signal has a bad length prefix or padding (a bug in the peer)');
  return { ok: true, plaintext: opened.slice(4, 4 + length) };
}

/**
 * The secret two contacts share once paired, derived from their pairing handshake and stored by
 * both: HKDF-SHA256(handshakeSecret, info = "parley/contact-secret/1", 32) (docs/protocol-app.md §3.3).
 */
export function deriveContactSecret(handshakeSecret: Uint8Array): Uint8Array {
  assertBytes('handshakeSecret', handshakeSecret, 32);
  return hkdf(sha256, handshakeSecret, undefined, CONTACT_SECRET_INFO, 32);
}

/**
 * Two contacts' rendezvous secret for one UTC day (`day = floor(ms / 86 400 000)`):
 * HKDF-SHA256(contactSecret, info = "parley/rendezvous/contact-day/1" ‖ u64 BE day, 32).
 * A new room every day, so the relay cannot link one day's meetings to the next
 * (docs/protocol-app.md §3.3). Use {@link rendezvousDays} near midnight.
 */
export function contactRendezvousSecret(contactSecret: Uint8Array, day: number): Uint8Array {
  assertBytes('contactSecret', contactSecret, 32);
  if (!Number.isSafeInteger(day) || day < 0)
    throw new TypeError('day: expected a non-negative integer (floor(ms / 86400000))');
  const info = new Uint8Array(CONTACT_DAY_INFO.length + 8);
  info.set(CONTACT_DAY_INFO, 0);
  const view = new DataView(info.buffer);
  view.setUint32(CONTACT_DAY_INFO.length, Math.floor(day / 2 ** 32));
  view.setUint32(CONTACT_DAY_INFO.length + 4, day % 2 ** 32);
  return hkdf(sha256, contactSecret, undefined, info, 32);
}

/** The UTC day number of a time: floor(ms / 86 400 000). */
export function dayOf(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new TypeError('ms: expected a non-negative time');
  return Math.floor(ms / DAY_MS);
}

/**
 * The days whose contact rooms to listen in at `now`, tolerating clocks that differ by up to
 * `skewMs` (default 10 minutes): today, plus yesterday or tomorrow near midnight
 * (docs/protocol-app.md §3.3). Publish in the room of `dayOf(now)`, listen in all of these.
 */
export function rendezvousDays(now: number, skewMs = 10 * 60 * 1000): number[] {
  const days = new Set([dayOf(Math.max(0, now - skewMs)), dayOf(now), dayOf(now + skewMs)]);
  return [...days];
}

/** Conventional envelope kinds; others may be added (lowercase letters and '-', ≤ 32). */
export type SignalKind = 'hello' | 'offer' | 'answer' | 'candidate' | 'bye';

/**
 * What travels inside a sealed signal, as UTF-8 JSON (docs/protocol-app.md §3.4).
 * `from` is a random id chosen per connection attempt (not per person: it must not identify
 * anyone), so a peer can tell attempts apart, ignore its own echoes and drop replays from
 * earlier attempts; `to`, when set, addresses one attempt of the other side.
 */
export interface SignalEnvelope {
  kind: SignalKind | (string & {});
  from: string;
  to?: string;
  payload: unknown;
}

const KIND_RE = /^[a-z][a-z-]{0,31}$/;
const SESSION_RE = /^[A-Za-z0-9_-]{8,64}$/;

/** Encodes an envelope as UTF-8 JSON, ready for {@link sealSignal}. Throws on a bad envelope. */
export function encodeSignal(e: SignalEnvelope): Uint8Array {
  if (typeof e.kind !== 'string' || !KIND_RE.test(e.kind))
    throw new TypeError('envelope.kind: lowercase letters and -, at most 32');
  if (typeof e.from !== 'string' || !SESSION_RE.test(e.from))
    throw new TypeError('envelope.from: 8..64 base64url characters');
  if (e.to !== undefined && (typeof e.to !== 'string' || !SESSION_RE.test(e.to)))
    throw new TypeError('envelope.to: 8..64 base64url characters');
  const json = JSON.stringify(
    e.to === undefined
      ? { kind: e.kind, from: e.from, payload: e.payload ?? null }
      : { kind: e.kind, from: e.from, to: e.to, payload: e.payload ?? null },
  );
  const bytes = enc.encode(json);
  if (bytes.length > MAX_SIGNAL_PLAINTEXT)
    throw new RangeError(`envelope: ${bytes.length} bytes, at most ${MAX_SIGNAL_PLAINTEXT}`);
  return bytes;
}

/** Decodes and checks an opened envelope; anything else is `SIGNAL_MALFORMED` (docs/protocol-app.md §3.4). */
export function decodeSignal(bytes: Uint8Array): { ok: true; envelope: SignalEnvelope } | Failure<'SIGNAL_MALFORMED'> {
  assertBytes('bytes', bytes);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return bad('SIGNAL_MALFORMED', 'envelope', 'signal envelope is not UTF-8 JSON (a bug in the peer)');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return bad('SIGNAL_MALFORMED', 'envelope', 'signal envelope is not a JSON object');
  const o = value as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !['kind', 'from', 'to', 'payload'].includes(k));
  if (typeof o.kind !== 'string' || !KIND_RE.test(o.kind))
    return bad('SIGNAL_MALFORMED', 'envelope.kind', 'signal envelope has no valid kind');
  if (typeof o.from !== 'string' || !SESSION_RE.test(o.from))
    return bad('SIGNAL_MALFORMED', 'envelope.from', 'signal envelope has no valid session id');
  if (o.to !== undefined && (typeof o.to !== 'string' || !SESSION_RE.test(o.to)))
    return bad('SIGNAL_MALFORMED', 'envelope.to', 'signal envelope has a bad recipient id');
  if (!('payload' in o) || extra.length > 0)
    return bad('SIGNAL_MALFORMED', 'envelope', 'signal envelope has missing or unknown fields');
  const envelope: SignalEnvelope = { kind: o.kind, from: o.from, payload: o.payload };
  if (typeof o.to === 'string') envelope.to = o.to;
  return { ok: true, envelope };
}

function bad<C extends SignalErrorCode>(code: C, step: string, message: string): Failure<C> {
  return failure(code, 'receiver', `signal: ${step}`, message);
}
