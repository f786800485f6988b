/**
 * App messages' types, limits and type codes (DESIGN.md "Layers: app protocol";
 * docs/protocol-app.md §4). The codec is `wire-encode.ts` and `wire-decode.ts`; `wire.ts` is the
 * entry point that re-exports all three.
 * @module
 */
import type { Failure } from './errors';

/** An app message (docs/protocol-app.md §4; contract in docs/interfaces.md). */
export type WireMessage =
  | { type: 'hello'; name: string }
  | { type: 'invite-proof'; proof: Uint8Array }
  /**
   * The inviter's answer to `invite-proof`. `known-key`: the proof was good, but the invitee's key
   * is one of the inviter's contacts' replaced or pending keys, or blocked (docs/protocol-app.md §4).
   */
  | { type: 'invite-result'; accepted: boolean; reason?: InviteRefusal }
  | { type: 'chat'; id: string; text: string; sentAt: number }
  | { type: 'receipt'; id: string }
  /** A file-transfer message (`transfer-codec.ts`, docs/files.md §1) carried raw in the tail. */
  | { type: 'transfer'; data: Uint8Array }
  /** Session setup (docs/session.md §2): the session this side holds (absent: none) and its ML-KEM-768 key. */
  | { type: 'session-offer'; session?: string; kemPublicKey: Uint8Array }
  /** One pairwise kx message (`kx.ts`, docs/security-kx.md), raw in the tail. */
  | { type: 'kx'; data: Uint8Array }
  /** One Double Ratchet message (`ratchet.ts`) whose plaintext is an inner wire message (docs/session.md §3). */
  | { type: 'ratchet'; data: Uint8Array }
  /** The sender's outbox resume point (docs/outbox.md §3); only inside a ratchet message. */
  | { type: 'resume'; stream: string; base: number }
  /** This side's file key for one link and direction (docs/session.md §6); only inside a ratchet message. */
  | { type: 'file-key'; key: Uint8Array }
  /** Version and features, the first data frame of every link from version 2 on (docs/protocol.md "Compatibility"). */
  | { type: 'features'; version: number; features: string[] }
  /** Receipt for message `id`, which this side could not use: step spent, nothing stored (only inside a ratchet message). */
  | { type: 'unsupported'; id: string }
  /** SHA-256 over both announcements of this link (`features.ts` announcementDigest); only inside a ratchet message. */
  | { type: 'features-check'; digest: Uint8Array }
  /**
   * One group message (`group-wire.ts`, docs/groups.md §2) raw in the tail; `id` is its pairwise
   * outbox id when it rides the outbox. Only inside a ratchet message, and only to a peer that
   * announced the `groups` feature (docs/groups.md §9).
   */
  | { type: 'group'; id?: string; data: Uint8Array };

/** Why an inviter refused an invite (docs/protocol-app.md §4). */
export type InviteRefusal = 'used' | 'expired' | 'unknown' | 'known-key';

/** Why a message was refused (docs/protocol-app.md §4). */
export type WireErrorCode = 'WIRE_MALFORMED' | 'WIRE_VERSION' | 'WIRE_TOO_LARGE';
/** Result of {@link decodeWire} (docs/protocol-app.md §4). */
export type DecodeWireResult = { ok: true; message: WireMessage } | Failure<WireErrorCode>;

/** First byte of every message (docs/protocol-app.md §4). */
export const WIRE_VERSION = 1;
/** Largest encoded message: one frame payload (`frames.ts` guarantees ≥ 65 536). */
export const MAX_WIRE_BYTES = 65536;
/**
 * Largest encoded `transfer` message: one whole frame payload (`frames.ts` MAX_FRAME_PAYLOAD),
 * so file chunks can be 128 KiB and more (docs/files.md "Glue"). Other types keep
 * {@link MAX_WIRE_BYTES}.
 */
export const MAX_TRANSFER_WIRE_BYTES = 262122;
/** Envelope of a `transfer` message: prefix (6) + header `{}` (2). */
export const TRANSFER_WIRE_OVERHEAD = 8;
/** Largest chat text in UTF-8 bytes: leaves 1 KiB of the message for the header. */
export const MAX_CHAT_TEXT_BYTES = MAX_WIRE_BYTES - 1024;
/** Largest display name in a hello, in UTF-8 bytes (same as in an invite). */
export const MAX_HELLO_NAME_BYTES = 64;
/** Message ids: 1..64 characters of the base64url alphabet. */
export const MESSAGE_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Type codes on the wire. 0x10–0x2f are for files (0x10 `transfer`, 0x13 `file-key`: two bits from
 * every type of the same shape, so one flipped bit never turns one into another), 0x30–0x4f for
 * groups (0x3c `group`), 0x50–0x5f for versions and delivery control. Every code is at least two bits from every
 * other (docs/protocol.md "Compatibility", the rule for adding a type).
 */
export const WIRE_TYPE_CODES = {
  hello: 0x01,
  'invite-proof': 0x02,
  'invite-result': 0x03,
  chat: 0x04,
  receipt: 0x05,
  'session-offer': 0x06,
  kx: 0x0f,
  ratchet: 0x08,
  resume: 0x09,
  transfer: 0x10,
  'file-key': 0x13,
  group: 0x3c,
  features: 0x51,
  unsupported: 0x56,
  'features-check': 0x5a,
} as const;
/** ML-KEM-768 public key length carried by `session-offer` (FIPS 203). */
export const SESSION_KEM_KEY_BYTES = 1184;
/** A session id: 64 lowercase hex characters (docs/session.md §2). */
export const SESSION_ID_RE = /^[0-9a-f]{64}$/;
/** An outbox stream: 11 base64url characters (docs/outbox.md §1). */
export const STREAM_RE = /^[A-Za-z0-9_-]{11}$/;
/** Length of the AES-256-GCM key carried by `file-key` (docs/session.md §6). */
export const FILE_KEY_BYTES = 32;
/** Length of the digest carried by `features-check`. */
export const FEATURES_CHECK_BYTES = 32;
/** Largest kx message in the tail (a REVEAL is 1 265 bytes; room for a later version). */
export const MAX_KX_BYTES = 4096;
