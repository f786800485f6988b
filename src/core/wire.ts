/**
 * App messages: what peers say to each other inside secure frames, typed and versioned
 * (DESIGN.md "Layers: app protocol"; docs/protocol-app.md §4).
 *
 * Layout: version(1)=1 ‖ type(1) ‖ headerLength(4, u32 BE) ‖ header(JSON object, UTF-8) ‖ tail.
 * Small fields go in the JSON header; bulk bytes go raw in the tail (chat text as UTF-8 — no
 * JSON escaping blow-up — the invite proof, and later file chunks).
 *
 * Decoding is strict and canonical: every field is checked for type and size, unknown fields
 * are refused, and the bytes must be exactly what {@link encodeWire} produces for the decoded
 * message, so one message has one encoding. New fields therefore come as new type codes
 * (or a new version), never as extra keys in an old type.
 * @module
 */
import { failure, type Failure } from './errors';
import { announcementProblem } from './features';

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
const TYPE_BY_CODE = new Map<number, WireMessage['type']>(
  Object.entries(WIRE_TYPE_CODES).map(([t, c]) => [c, t as WireMessage['type']]),
);
const REASONS: readonly InviteRefusal[] = ['used', 'expired', 'unknown', 'known-key'];
const PREFIX = 6;

const enc = new TextEncoder();

/** Encodes a message (docs/protocol-app.md §4). Throws `TypeError`/`RangeError` naming the bad field. */
export function encodeWire(m: WireMessage): Uint8Array {
  const { header, tail } = split(m);
  const headerBytes = enc.encode(JSON.stringify(header));
  const out = new Uint8Array(PREFIX + headerBytes.length + tail.length);
  out[0] = WIRE_VERSION;
  out[1] = WIRE_TYPE_CODES[m.type];
  new DataView(out.buffer).setUint32(2, headerBytes.length);
  out.set(headerBytes, PREFIX);
  out.set(tail, PREFIX + headerBytes.length);
  const limit = m.type === 'transfer' ? MAX_TRANSFER_WIRE_BYTES : MAX_WIRE_BYTES;
  if (out.length > limit) throw new RangeError(`message: ${out.length} bytes, at most ${limit}`);
  return out;
}

function split(m: WireMessage): { header: Record<string, unknown>; tail: Uint8Array } {
  const none = new Uint8Array(0);
  switch (m?.type) {
    case 'hello':
      checkHelloName(m.name);
      return { header: { name: m.name }, tail: none };
    case 'invite-proof':
      if (!(m.proof instanceof Uint8Array) || m.proof.length !== 32)
        throw new TypeError('invite-proof.proof: expected 32 bytes');
      return { header: {}, tail: m.proof };
    case 'invite-result':
      if (typeof m.accepted !== 'boolean') throw new TypeError('invite-result.accepted: expected boolean');
      if (m.reason !== undefined && !REASONS.includes(m.reason))
        throw new TypeError(`invite-result.reason: one of ${REASONS.join(', ')}`);
      return {
        header: m.reason === undefined ? { accepted: m.accepted } : { accepted: m.accepted, reason: m.reason },
        tail: none,
      };
    case 'chat':
      return splitChat(m);
    case 'receipt':
      checkId('receipt.id', m.id);
      return { header: { id: m.id }, tail: none };
    case 'transfer':
      if (!(m.data instanceof Uint8Array) || m.data.length === 0)
        throw new TypeError('transfer.data: expected non-empty bytes');
      return { header: {}, tail: m.data };
    case 'session-offer':
      if (m.session !== undefined && (typeof m.session !== 'string' || !SESSION_ID_RE.test(m.session)))
        throw new TypeError('session-offer.session: 64 lowercase hex characters, or absent');
      if (!(m.kemPublicKey instanceof Uint8Array) || m.kemPublicKey.length !== SESSION_KEM_KEY_BYTES)
        throw new TypeError(`session-offer.kemPublicKey: expected ${SESSION_KEM_KEY_BYTES} bytes`);
      return { header: m.session === undefined ? {} : { session: m.session }, tail: m.kemPublicKey };
    case 'kx':
      if (!(m.data instanceof Uint8Array) || m.data.length === 0 || m.data.length > MAX_KX_BYTES)
        throw new TypeError(`kx.data: expected 1..${MAX_KX_BYTES} bytes`);
      return { header: {}, tail: m.data };
    case 'ratchet':
      if (!(m.data instanceof Uint8Array) || m.data.length === 0)
        throw new TypeError('ratchet.data: expected non-empty bytes');
      return { header: {}, tail: m.data };
    case 'resume':
      if (typeof m.stream !== 'string' || !STREAM_RE.test(m.stream))
        throw new TypeError('resume.stream: 11 base64url characters');
      if (!Number.isSafeInteger(m.base) || m.base < 1) throw new TypeError('resume.base: a positive safe integer');
      return { header: { stream: m.stream, base: m.base }, tail: none };
    case 'file-key':
      if (!(m.key instanceof Uint8Array) || m.key.length !== FILE_KEY_BYTES)
        throw new TypeError(`file-key.key: expected ${FILE_KEY_BYTES} bytes`);
      return { header: {}, tail: m.key };
    case 'group':
      return splitGroup(m);
    case 'features':
    case 'unsupported':
    case 'features-check':
      return splitV2(m);
    default:
      throw new TypeError(`message.type: unknown type ${String((m as { type?: unknown })?.type)}`);
  }
}

/** A `group` message: the optional outbox id in the header, the group message raw in the tail (docs/groups.md §9). */
function splitGroup(m: Extract<WireMessage, { type: 'group' }>): { header: Record<string, unknown>; tail: Uint8Array } {
  if (m.id !== undefined) checkId('group.id', m.id);
  if (!(m.data instanceof Uint8Array) || m.data.length === 0)
    throw new TypeError('group.data: expected non-empty bytes');
  return { header: m.id === undefined ? {} : { id: m.id }, tail: m.data };
}

/** The types added with the announcements (docs/protocol.md "Compatibility"). */
function splitV2(m: Extract<WireMessage, { type: 'features' | 'unsupported' | 'features-check' }>): {
  header: Record<string, unknown>;
  tail: Uint8Array;
} {
  switch (m.type) {
    case 'features': {
      const problem = announcementProblem(m);
      if (problem) throw new TypeError(`features.${problem}`);
      return { header: { version: m.version, features: m.features }, tail: new Uint8Array(0) };
    }
    case 'unsupported':
      checkId('unsupported.id', m.id);
      return { header: { id: m.id }, tail: new Uint8Array(0) };
    case 'features-check':
      if (!(m.digest instanceof Uint8Array) || m.digest.length !== FEATURES_CHECK_BYTES)
        throw new TypeError(`features-check.digest: expected ${FEATURES_CHECK_BYTES} bytes`);
      return { header: {}, tail: m.digest };
  }
}

function checkHelloName(name: unknown): void {
  if (
    typeof name !== 'string' ||
    !isWellFormed(name) ||
    /\p{Cc}/u.test(name) ||
    enc.encode(name).length > MAX_HELLO_NAME_BYTES
  )
    throw new TypeError(
      `hello.name: a string of at most ${MAX_HELLO_NAME_BYTES} UTF-8 bytes without control characters`,
    );
}

function splitChat(m: Extract<WireMessage, { type: 'chat' }>): {
  header: Record<string, unknown>;
  tail: Uint8Array;
} {
  checkId('chat.id', m.id);
  if (!Number.isSafeInteger(m.sentAt) || m.sentAt < 0)
    throw new TypeError('chat.sentAt: expected a non-negative integer (ms)');
  if (typeof m.text !== 'string' || !isWellFormed(m.text))
    throw new TypeError('chat.text: expected a well-formed string');
  const text = enc.encode(m.text);
  if (text.length > MAX_CHAT_TEXT_BYTES)
    throw new RangeError(`chat.text: ${text.length} bytes, at most ${MAX_CHAT_TEXT_BYTES}`);
  const header = { id: m.id, sentAt: m.sentAt };
  return { header, tail: text };
}

/**
 * Decodes and validates a message from the peer (docs/protocol-app.md §4). Never throws on bad
 * bytes. A failure with `step === 'wire: type'` is a type code this version does not know (the peer may
 * run a newer Parley): the caller may skip that message instead of closing the link.
 */
export function decodeWire(bytes: Uint8Array): DecodeWireResult {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`bytes: expected Uint8Array, got ${typeof bytes}`);
  if (bytes.length > MAX_TRANSFER_WIRE_BYTES)
    return bad(
      'WIRE_TOO_LARGE',
      'size',
      `message of ${bytes.length} bytes is over the ${MAX_TRANSFER_WIRE_BYTES}-byte limit`,
    );
  if (bytes.length < 2) return bad('WIRE_MALFORMED', 'prefix', 'message is shorter than its version and type bytes');
  if (bytes[0] !== WIRE_VERSION)
    return bad(
      'WIRE_VERSION',
      'version',
      `message version ${bytes[0]} is not supported (this app speaks ${WIRE_VERSION}; one side needs an update)`,
    );
  const type = TYPE_BY_CODE.get(bytes[1]!);
  if (type === undefined)
    return bad(
      'WIRE_MALFORMED',
      'type',
      `unknown message type 0x${bytes[1]!.toString(16).padStart(2, '0')} (the peer may run a newer Parley)`,
    );
  if (type !== 'transfer' && bytes.length > MAX_WIRE_BYTES)
    return bad(
      'WIRE_TOO_LARGE',
      'size',
      `${type} message of ${bytes.length} bytes is over the ${MAX_WIRE_BYTES}-byte limit`,
    );
  if (bytes.length < PREFIX) return bad('WIRE_MALFORMED', 'prefix', 'message is cut short before its header length');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2);
  if (headerLength > bytes.length - PREFIX)
    return bad('WIRE_MALFORMED', 'header', `${type}: header length runs past the end of the message`);
  const header = parseObject(bytes.subarray(PREFIX, PREFIX + headerLength));
  if (header === null) return bad('WIRE_MALFORMED', 'header', `${type}: header is not a UTF-8 JSON object`);
  const tail = bytes.subarray(PREFIX + headerLength);
  const message = build(type, header, tail);
  if (!message.ok) return message;
  // Canonical form: exactly the bytes the encoder makes (field order, escapes, no extra keys).
  // The header is re-encoded and compared; the tail only where decoding re-derives it (chat text
  // goes through UTF-8 and back). Every other tail is the input's own bytes, copied: comparing a
  // 255 KiB file chunk with its own copy cost the receiving page a pass over every byte.
  let again: ReturnType<typeof split>;
  try {
    again = split(message.message);
  } catch {
    return bad('WIRE_MALFORMED', 'fields', `${type}: a field is out of range`);
  }
  const textTail = type === 'chat';
  const sameTail = again.tail.length === tail.length && (!textTail || sameBytes(again.tail, tail));
  if (!sameBytes(enc.encode(JSON.stringify(again.header)), bytes.subarray(PREFIX, PREFIX + headerLength)) || !sameTail)
    return bad(
      'WIRE_MALFORMED',
      'canonical',
      `${type}: not in canonical form (unknown fields, or fields in another order)`,
    );
  return message;
}

/** Byte equality as a plain loop: a callback per byte (`some`) cost 13 % of a receiving page's CPU at 128 KiB chunks. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const TAIL_TYPES = new Set<WireMessage['type']>([
  'chat',
  'invite-proof',
  'transfer',
  'session-offer',
  'kx',
  'ratchet',
  'file-key',
  'group',
  'features-check',
]);

/** The WIRE_MALFORMED failure for a field of a `type` message. */
function badField(type: WireMessage['type'], name: string, what: string): DecodeWireResult {
  return bad('WIRE_MALFORMED', `${type}.${name}`, `${type}: field ${name} is missing or not ${what}`);
}

function build(type: WireMessage['type'], h: Record<string, unknown>, tail: Uint8Array): DecodeWireResult {
  const field = (name: string, what: string) => badField(type, name, what);
  if (!TAIL_TYPES.has(type) && tail.length > 0)
    return bad('WIRE_MALFORMED', 'tail', `${type}: unexpected bytes after the header`);
  switch (type) {
    case 'hello':
      if (typeof h.name !== 'string') return field('name', 'a string');
      return { ok: true, message: { type, name: h.name } };
    case 'invite-proof':
      if (tail.length !== 32) return field('proof', '32 bytes');
      return { ok: true, message: { type, proof: tail.slice() } };
    case 'invite-result': {
      if (typeof h.accepted !== 'boolean') return field('accepted', 'a boolean');
      if (h.reason !== undefined && !REASONS.includes(h.reason as never)) return field('reason', REASONS.join('|'));
      const m: WireMessage = { type, accepted: h.accepted };
      if (h.reason !== undefined) m.reason = h.reason as InviteRefusal;
      return { ok: true, message: m };
    }
    case 'chat':
      return buildChat(h, tail);
    case 'receipt':
      if (typeof h.id !== 'string' || !MESSAGE_ID_RE.test(h.id)) return field('id', 'a message id');
      return { ok: true, message: { type, id: h.id } };
    case 'transfer':
      // The tail is checked by the transfer codec (decodeTransfer), which owns its format.
      if (tail.length === 0) return field('data', 'non-empty bytes');
      return { ok: true, message: { type, data: tail.slice() } };
    case 'session-offer': {
      if (h.session !== undefined && (typeof h.session !== 'string' || !SESSION_ID_RE.test(h.session)))
        return field('session', 'a session id');
      if (tail.length !== SESSION_KEM_KEY_BYTES) return field('kemPublicKey', `${SESSION_KEM_KEY_BYTES} bytes`);
      const m: WireMessage = { type, kemPublicKey: tail.slice() };
      if (typeof h.session === 'string') m.session = h.session;
      return { ok: true, message: m };
    }
    case 'kx':
      if (tail.length === 0 || tail.length > MAX_KX_BYTES) return field('data', `1..${MAX_KX_BYTES} bytes`);
      return { ok: true, message: { type, data: tail.slice() } };
    case 'ratchet':
      if (tail.length === 0) return field('data', 'non-empty bytes');
      return { ok: true, message: { type, data: tail.slice() } };
    case 'resume':
      if (typeof h.stream !== 'string' || !STREAM_RE.test(h.stream)) return field('stream', 'an outbox stream');
      if (typeof h.base !== 'number' || !Number.isSafeInteger(h.base) || h.base < 1)
        return field('base', 'a positive integer');
      return { ok: true, message: { type, stream: h.stream, base: h.base } };
    case 'file-key':
      if (tail.length !== FILE_KEY_BYTES) return field('key', `${FILE_KEY_BYTES} bytes`);
      return { ok: true, message: { type, key: tail.slice() } };
    case 'group':
      return buildGroup(h, tail);
    case 'features':
    case 'unsupported':
    case 'features-check':
      return buildV2(type, h, tail);
  }
}

/** Decodes a `group` message (docs/groups.md §9); the tail is judged by the group codec (decodeGroup), which owns its format. */
function buildGroup(h: Record<string, unknown>, tail: Uint8Array): DecodeWireResult {
  if (h.id !== undefined && (typeof h.id !== 'string' || !MESSAGE_ID_RE.test(h.id)))
    return badField('group', 'id', 'a message id');
  if (tail.length === 0) return badField('group', 'data', 'non-empty bytes');
  const m: WireMessage = { type: 'group', data: tail.slice() };
  if (typeof h.id === 'string') m.id = h.id;
  return { ok: true, message: m };
}

/** Decodes the types added with the announcements (docs/protocol.md "Compatibility"). */
function buildV2(
  type: 'features' | 'unsupported' | 'features-check',
  h: Record<string, unknown>,
  tail: Uint8Array,
): DecodeWireResult {
  const field = (name: string, what: string) => badField(type, name, what);
  switch (type) {
    case 'features': {
      const problem = announcementProblem(h);
      if (problem) return bad('WIRE_MALFORMED', `features.${problem.split(':')[0]}`, `features: ${problem}`);
      return { ok: true, message: { type, version: h.version as number, features: h.features as string[] } };
    }
    case 'unsupported':
      if (typeof h.id !== 'string' || !MESSAGE_ID_RE.test(h.id)) return field('id', 'a message id');
      return { ok: true, message: { type, id: h.id } };
    case 'features-check':
      if (tail.length !== FEATURES_CHECK_BYTES) return field('digest', `${FEATURES_CHECK_BYTES} bytes`);
      return { ok: true, message: { type, digest: tail.slice() } };
  }
}

function buildChat(h: Record<string, unknown>, tail: Uint8Array): DecodeWireResult {
  if (typeof h.id !== 'string' || !MESSAGE_ID_RE.test(h.id)) return badField('chat', 'id', 'a message id');
  if (typeof h.sentAt !== 'number' || !Number.isSafeInteger(h.sentAt) || h.sentAt < 0)
    return badField('chat', 'sentAt', 'a time in ms');
  if (tail.length > MAX_CHAT_TEXT_BYTES)
    return bad(
      'WIRE_TOO_LARGE',
      'chat.text',
      `chat text of ${tail.length} bytes is over the ${MAX_CHAT_TEXT_BYTES}-byte limit`,
    );
  const text = utf8(tail);
  if (text === null) return badField('chat', 'text', 'UTF-8');
  return { ok: true, message: { type: 'chat', id: h.id, text, sentAt: h.sentAt } };
}

function parseObject(bytes: Uint8Array): Record<string, unknown> | null {
  const text = utf8(bytes);
  if (text === null) return null;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function utf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

function checkId(name: string, id: unknown): void {
  if (typeof id !== 'string' || !MESSAGE_ID_RE.test(id))
    throw new TypeError(`${name}: 1..64 characters of A-Z a-z 0-9 _ -`);
}

function isWellFormed(s: string): boolean {
  return !/\p{Cs}/u.test(s);
}

function bad(code: WireErrorCode, step: string, message: string): Failure<WireErrorCode> {
  return failure(code, 'receiver', `wire: ${step}`, message);
}

/**
 * The `id` header field of a message this version cannot use — an unknown type code (a newer
 * peer's) or a type whose feature this side lacks — so it can still be receipted as
 * `unsupported` (docs/protocol.md "Compatibility": every type that expects a receipt carries its
 * outbox id as `id`). Null when the envelope is broken or carries no valid id.
 */
export function messageIdOf(bytes: Uint8Array): string | null {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`bytes: expected Uint8Array, got ${typeof bytes}`);
  if (bytes.length < PREFIX || bytes.length > MAX_TRANSFER_WIRE_BYTES || bytes[0] !== WIRE_VERSION) return null;
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2);
  if (headerLength > bytes.length - PREFIX) return null;
  const id = parseObject(bytes.subarray(PREFIX, PREFIX + headerLength))?.id;
  return typeof id === 'string' && MESSAGE_ID_RE.test(id) ? id : null;
}
