/**
 * Derivations of the long-lived contact session (docs/session.md §1, §2, §4, §7): the identity's
 * ML-KEM-768 key from its Ed25519 seed, the session id, the two kinds of rotating rooms —
 * the daily session rooms (derived from the kx session) and the per-owner reset rooms (derived
 * from the pairing's contact secret, which backups keep) — and the daily mailbox secrets. Pure functions, HKDF-SHA256 with a
 * label of their own each (docs/protocol-app.md: no two derivations share a label).
 * @module
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { generateKemKeyPair, type KemKeyPair, type KxResult } from '../core/kx';
import { assertBytes } from '../core/errors';

const label = (s: string) => utf8ToBytes(`parley/${s}`);
const KEM_SEED = label('identity/kem-seed/1');
const SESSION_ID = label('session/id/1');
const SESSION_ROOM_KEY = label('session/room-key/1');
const SESSION_DAY = label('rendezvous/session-day/1');
const RESET_DAY = label('rendezvous/reset-day/1');
const MAILBOX_DAY = label('mailbox/day/1');

/**
 * The identity's ML-KEM-768 key pair, deterministic in the Ed25519 seed (docs/session.md §1):
 * `generateKemKeyPair(HKDF(ikm = seed, info = "parley/identity/kem-seed/1", 64))`. So an identity
 * backup (schema 1, which holds the seed) restores the KEM key too, with no new field.
 */
export function kemKeyPairFromSeed(ed25519Seed: Uint8Array): KemKeyPair {
  assertBytes('ed25519Seed', ed25519Seed, 32);
  return generateKemKeyPair(hkdf(sha256, ed25519Seed, undefined, KEM_SEED, 64));
}

/** Session id: hex of SHA-256("parley/session/id/1" ‖ TH) — names a kx run, reveals nothing of its keys (§2). */
export function sessionIdOf(transcriptHash: Uint8Array): string {
  assertBytes('transcriptHash', transcriptHash, 32);
  return bytesToHex(sha256(concatBytes(SESSION_ID, transcriptHash)));
}

/** Key of the session's daily rooms: HKDF(ikm = session key, salt = TH, info = "parley/session/room-key/1") (§4). */
export function sessionRoomKey(r: Pick<KxResult, 'sessionKey' | 'transcriptHash'>): Uint8Array {
  return hkdf(sha256, r.sessionKey, r.transcriptHash, SESSION_ROOM_KEY, 32);
}

function dayInfo(prefix: Uint8Array, day: number, extra: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (!Number.isSafeInteger(day) || day < 0)
    throw new TypeError('day: expected a non-negative integer (floor(ms / 86400000))');
  const d = new Uint8Array(8);
  const v = new DataView(d.buffer);
  v.setUint32(0, Math.floor(day / 2 ** 32));
  v.setUint32(4, day % 2 ** 32);
  return concatBytes(prefix, extra, d);
}

/** The rendezvous secret of a session's room on UTC day `day` (§4). */
export function sessionDaySecret(roomKey: Uint8Array, day: number): Uint8Array {
  assertBytes('roomKey', roomKey, 32);
  return hkdf(sha256, roomKey, undefined, dayInfo(SESSION_DAY, day), 32);
}

/**
 * The reset room of `owner` for one contact on UTC day `day` (§4): HKDF(ikm = contactSecret,
 * info = "parley/rendezvous/reset-day/1" ‖ owner's Ed25519 key ‖ u64 BE day). The owner listens
 * there; the contact dials it when it has no session.
 */
export function resetDaySecret(contactSecret: Uint8Array, ownerKey: Uint8Array, day: number): Uint8Array {
  assertBytes('contactSecret', contactSecret, 32);
  assertBytes('ownerKey', ownerKey, 32);
  return hkdf(sha256, contactSecret, undefined, dayInfo(RESET_DAY, day, ownerKey), 32);
}

/**
 * The mailbox secret for blobs to `recipientKey` on UTC day `day` (docs/session.md §7):
 * HKDF(ikm = roomKey, info = "parley/mailbox/day/1" ‖ recipient's Ed25519 key ‖ u64 BE day, 32).
 * From the session like the daily rooms (a new session, a new series; nothing the relay sees
 * before links to it), one per direction (each side drains only its own), one per day (the relay
 * cannot tell Monday's address of a contact from Tuesday's without the session's room key).
 * The address and seal key come from it by `mailboxAddress` / `sealMailboxBlob` (src/core/mailbox.ts).
 */
export function mailboxDaySecret(roomKey: Uint8Array, recipientKey: Uint8Array, day: number): Uint8Array {
  assertBytes('roomKey', roomKey, 32);
  assertBytes('recipientKey', recipientKey, 32);
  return hkdf(sha256, roomKey, undefined, dayInfo(MAILBOX_DAY, day, recipientKey), 32);
}
