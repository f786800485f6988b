/**
 * The relay's wire protocol (docs/interfaces.md, "Signaling relay protocol"; docs/relay.md
 * "Protocol"): parsing of client frames, the close codes, and relay → client frames. Parsing is
 * strict about the envelope (type, room, data must have the right types and alphabets) and never
 * looks inside `data`. Mailbox frames (protocol 2) are parsed by protocol-mailbox.ts.
 */
import { parseMailboxFrame, type MailboxRequest } from './protocol-mailbox';

/** The relay protocol version announced in `welcome`: 1 = rooms only, 2 = rooms + mailbox. */
export const RELAY_PROTOCOL_VERSION = 2;

/** Close codes of the contract, plus the standard ones the relay also uses. */
export const CloseCode = {
  GOING_AWAY: 1001,
  /** Internal error (a storage backend failed while serving this socket): reconnect later. */
  INTERNAL: 1011,
  /** Service restart: this instance is draining; reconnect now (another instance will answer). */
  SERVICE_RESTART: 1012,
  RELAY_FULL: 1013,
  MALFORMED: 4400,
  TOO_MANY_ROOMS: 4403,
  IDLE: 4408,
  TOO_LARGE: 4413,
  RATE_LIMITED: 4429,
} as const;

/** A room id or mailbox address: base64url (no padding) of 32 bytes. */
const ROOM_RE = /^[A-Za-z0-9_-]{43}$/;
/**
 * An opaque blob: non-empty base64url. Up to two `=` of padding are tolerated at the end, since
 * common encoders (Uint8Array.prototype.toBase64, @scure/base's base64url) add them by default.
 */
const DATA_RE = /^[A-Za-z0-9_-]+={0,2}$/;

export type RoomMessage =
  | { type: 'subscribe'; room: string }
  | { type: 'unsubscribe'; room: string }
  | { type: 'publish'; room: string; data: string }
  | { type: 'ping' };

/** The client's protocol version; answered with `welcome` (a version-1 relay answers `unknown-type`). */
export type HelloMessage = { type: 'hello'; protocol: number };

export type ClientMessage = RoomMessage | HelloMessage | MailboxRequest;

export type ParseResult =
  | { ok: true; message: ClientMessage }
  /** Not a protocol message at all: the socket is closed with 4400. */
  | { ok: false; fatal: true; reason: string }
  /** A well-formed envelope with a `type` this relay does not know: answered with an error. */
  | { ok: false; fatal: false; code: 'unknown-type'; reason: string };

export function isRoomId(x: unknown): x is string {
  return typeof x === 'string' && ROOM_RE.test(x);
}

function parseRoomFrame(m: Record<string, unknown>, type: RoomMessage['type']): ParseResult {
  if (type === 'ping') return { ok: true, message: { type: 'ping' } };
  if (!isRoomId(m.room)) return { ok: false, fatal: true, reason: `${type}: room must be base64url of 32 bytes` };
  if (type !== 'publish') return { ok: true, message: { type, room: m.room } };
  if (typeof m.data !== 'string' || !DATA_RE.test(m.data))
    return { ok: false, fatal: true, reason: 'publish: data must be non-empty base64url' };
  return { ok: true, message: { type: 'publish', room: m.room, data: m.data } };
}

/** Parses one text frame. `text` is already bounded in size by the caller. */
export function parseClientMessage(text: string): ParseResult {
  // Cheap rejection before JSON.parse: every message is a JSON object.
  if (text.length === 0 || text.charCodeAt(0) !== 0x7b /* { */)
    return { ok: false, fatal: true, reason: 'not a JSON object' };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, fatal: true, reason: 'invalid JSON' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return { ok: false, fatal: true, reason: 'not a JSON object' };
  const m = v as Record<string, unknown>;
  switch (m.type) {
    case 'ping':
    case 'subscribe':
    case 'unsubscribe':
    case 'publish':
      return parseRoomFrame(m, m.type);
    case 'hello':
      if (!Number.isSafeInteger(m.protocol) || (m.protocol as number) < 1)
        return { ok: false, fatal: true, reason: 'hello: protocol must be a positive integer' };
      return { ok: true, message: { type: 'hello', protocol: m.protocol as number } };
    case 'mailbox-put':
    case 'mailbox-fetch':
    case 'mailbox-ack': {
      const r = parseMailboxFrame(m, m.type);
      return r.ok ? r : { ok: false, fatal: true, reason: r.reason };
    }
    default:
      if (typeof m.type !== 'string') return { ok: false, fatal: true, reason: 'type must be a string' };
      return { ok: false, fatal: false, code: 'unknown-type', reason: 'unknown message type' };
  }
}

/** What the relay tells each socket first (protocol 2): its version and the mailbox limits. */
export interface Welcome {
  protocol: number;
  features: string[];
  mailbox?: { maxBlobs: number; maxBytes: number; sizes: number[]; ttlS: number };
}

/** Relay → client frames, serialised once and sent as is. */
export const encode = {
  welcome: (w: Welcome) => JSON.stringify({ type: 'welcome', ...w }),
  subscribed: (room: string, peers: number) => JSON.stringify({ type: 'subscribed', room, peers }),
  peerJoined: (room: string) => JSON.stringify({ type: 'peer-joined', room }),
  peerLeft: (room: string) => JSON.stringify({ type: 'peer-left', room }),
  message: (room: string, data: string) => JSON.stringify({ type: 'message', room, data }),
  /** `message` for a room and data already checked to be base64url (nothing to escape in JSON). */
  plainMessage: (room: string, data: string) => `{"type":"message","room":"${room}","data":"${data}"}`,
  pong: () => '{"type":"pong"}',
  /** A non-fatal error; `req` ties it to a mailbox request, `room` to a room. */
  error: (code: string, message: string, room?: string, req?: string) =>
    JSON.stringify({ type: 'error', code, message, ...(room === undefined ? {} : { room }), ...(req ? { req } : {}) }),
};
