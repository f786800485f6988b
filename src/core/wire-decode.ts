/**
 * Decoding app messages from the peer (docs/protocol-app.md §4): strict and canonical — every
 * field checked for type and size, unknown fields refused, and the bytes exactly what
 * `encodeWire` makes of the decoded message. Entry point: `wire.ts`.
 * @module
 */
import { failure, type Failure } from './errors';
import { announcementProblem } from './features';
import { INVITE_REFUSALS, splitWire, WIRE_PREFIX_BYTES } from './wire-encode';
import {
  FEATURES_CHECK_BYTES,
  FILE_KEY_BYTES,
  MAX_CHAT_TEXT_BYTES,
  MAX_KX_BYTES,
  MAX_TRANSFER_WIRE_BYTES,
  MAX_WIRE_BYTES,
  MESSAGE_ID_RE,
  SESSION_ID_RE,
  SESSION_KEM_KEY_BYTES,
  STREAM_RE,
  WIRE_TYPE_CODES,
  WIRE_VERSION,
  type DecodeWireResult,
  type InviteRefusal,
  type WireErrorCode,
  type WireMessage,
} from './wire-types';

const TYPE_BY_CODE = new Map<number, WireMessage['type']>(
  Object.entries(WIRE_TYPE_CODES).map(([t, c]) => [c, t as WireMessage['type']]),
);

const enc = new TextEncoder();

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
  if (bytes.length < WIRE_PREFIX_BYTES)
    return bad('WIRE_MALFORMED', 'prefix', 'message is cut short before its header length');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2);
  if (headerLength > bytes.length - WIRE_PREFIX_BYTES)
    return bad('WIRE_MALFORMED', 'header', `${type}: header length runs past the end of the message`);
  const header = parseObject(bytes.subarray(WIRE_PREFIX_BYTES, WIRE_PREFIX_BYTES + headerLength));
  if (header === null) return bad('WIRE_MALFORMED', 'header', `${type}: header is not a UTF-8 JSON object`);
  const tail = bytes.subarray(WIRE_PREFIX_BYTES + headerLength);
  const message = build(type, header, tail);
  if (!message.ok) return message;
  // Canonical form: exactly the bytes the encoder makes (field order, escapes, no extra keys).
  // The header is re-encoded and compared; the tail only where decoding re-derives it (chat text
  // goes through UTF-8 and back). Every other tail is the input's own bytes, copied: comparing a
  // 255 KiB file chunk with its own copy cost the receiving page a pass over every byte.
  let again: ReturnType<typeof splitWire>;
  try {
    again = splitWire(message.message);
  } catch {
    return bad('WIRE_MALFORMED', 'fields', `${type}: a field is out of range`);
  }
  const textTail = type === 'chat';
  const sameTail = again.tail.length === tail.length && (!textTail || sameBytes(again.tail, tail));
  if (
    !sameBytes(
      enc.encode(JSON.stringify(again.header)),
      bytes.subarray(WIRE_PREFIX_BYTES, WIRE_PREFIX_BYTES + headerLength),
    ) ||
    !sameTail
  )
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
      if (h.reason !== undefined && !INVITE_REFUSALS.includes(h.reason as never))
        return field('reason', INVITE_REFUSALS.join('|'));
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
  if (bytes.length < WIRE_PREFIX_BYTES || bytes.length > MAX_TRANSFER_WIRE_BYTES || bytes[0] !== WIRE_VERSION)
    return null;
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2);
  if (headerLength > bytes.length - WIRE_PREFIX_BYTES) return null;
  const id = parseObject(bytes.subarray(WIRE_PREFIX_BYTES, WIRE_PREFIX_BYTES + headerLength))?.id;
  return typeof id === 'string' && MESSAGE_ID_RE.test(id) ? id : null;
}
