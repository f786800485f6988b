/**
 * Encoding app messages (docs/protocol-app.md §4): each field checked, small fields into the JSON
 * header, bulk bytes raw into the tail. Entry point: `wire.ts`.
 * @module
 */
import { announcementProblem } from './features';
import {
  FEATURES_CHECK_BYTES,
  FILE_KEY_BYTES,
  MAX_CHAT_TEXT_BYTES,
  MAX_HELLO_NAME_BYTES,
  MAX_KX_BYTES,
  MAX_TRANSFER_WIRE_BYTES,
  MAX_WIRE_BYTES,
  MESSAGE_ID_RE,
  SESSION_ID_RE,
  SESSION_KEM_KEY_BYTES,
  STREAM_RE,
  WIRE_TYPE_CODES,
  WIRE_VERSION,
  type InviteRefusal,
  type WireMessage,
} from './wire-types';

/** Why an inviter may refuse an invite, in the order the codec lists them (docs/protocol-app.md §4). */
export const INVITE_REFUSALS: readonly InviteRefusal[] = ['used', 'expired', 'unknown', 'known-key'];
/** Bytes before the header: version(1) ‖ type(1) ‖ headerLength(4) (docs/protocol-app.md §4). */
export const WIRE_PREFIX_BYTES = 6;

const enc = new TextEncoder();

/** Encodes a message (docs/protocol-app.md §4). Throws `TypeError`/`RangeError` naming the bad field. */
export function encodeWire(m: WireMessage): Uint8Array {
  const { header, tail } = splitWire(m);
  const headerBytes = enc.encode(JSON.stringify(header));
  const out = new Uint8Array(WIRE_PREFIX_BYTES + headerBytes.length + tail.length);
  out[0] = WIRE_VERSION;
  out[1] = WIRE_TYPE_CODES[m.type];
  new DataView(out.buffer).setUint32(2, headerBytes.length);
  out.set(headerBytes, WIRE_PREFIX_BYTES);
  out.set(tail, WIRE_PREFIX_BYTES + headerBytes.length);
  const limit = m.type === 'transfer' ? MAX_TRANSFER_WIRE_BYTES : MAX_WIRE_BYTES;
  if (out.length > limit) throw new RangeError(`message: ${out.length} bytes, at most ${limit}`);
  return out;
}

/**
 * A message's JSON header fields and raw tail, its fields checked (docs/protocol-app.md §4).
 * Throws `TypeError`/`RangeError` naming the bad field; `decodeWire` uses it for its canonical check.
 */
export function splitWire(m: WireMessage): { header: Record<string, unknown>; tail: Uint8Array } {
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
      if (m.reason !== undefined && !INVITE_REFUSALS.includes(m.reason))
        throw new TypeError(`invite-result.reason: one of ${INVITE_REFUSALS.join(', ')}`);
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

function checkId(name: string, id: unknown): void {
  if (typeof id !== 'string' || !MESSAGE_ID_RE.test(id))
    throw new TypeError(`${name}: 1..64 characters of A-Z a-z 0-9 _ -`);
}

function isWellFormed(s: string): boolean {
  return !/\p{Cs}/u.test(s);
}
