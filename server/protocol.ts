/**
 * The relay's wire protocol (docs/interfaces.md, "Signaling relay protocol"): parsing of client
 * frames and the close codes. Parsing is strict about the envelope (type, room, data must have
 * the right types and alphabets) and never looks inside `data`.
 */

/** Close codes of the contract, plus the standard ones the relay also uses. */
export const CloseCode = {
  GOING_AWAY: 1001,
  RELAY_FULL: 1013,
  MALFORMED: 4400,
  TOO_MANY_ROOMS: 4403,
  IDLE: 4408,
  TOO_LARGE: 4413,
  RATE_LIMITED: 4429,
} as const;

/** A room id: base64url (no padding) of 32 bytes. */
const ROOM_RE = /^[A-Za-z0-9_-]{43}$/;
/**
 * An opaque blob: non-empty base64url. Up to two `=` of padding are tolerated at the end, since
 * common encoders (Uint8Array.prototype.toBase64, @scure/base's base64url) add them by default.
 */
const DATA_RE = /^[A-Za-z0-9_-]+={0,2}$/;

export type ClientMessage =
  | { type: 'subscribe'; room: string }
  | { type: 'unsubscribe'; room: string }
  | { type: 'publish'; room: string; data: string }
  | { type: 'ping' };

export type ParseResult =
  | { ok: true; message: ClientMessage }
  /** Not a protocol message at all: the socket is closed with 4400. */
  | { ok: false; fatal: true; reason: string }
  /** A well-formed envelope with a `type` this relay does not know: answered with an error. */
  | { ok: false; fatal: false; code: 'unknown-type'; reason: string };

export function isRoomId(x: unknown): x is string {
  return typeof x === 'string' && ROOM_RE.test(x);
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
      return { ok: true, message: { type: 'ping' } };
    case 'subscribe':
    case 'unsubscribe':
      if (!isRoomId(m.room)) return { ok: false, fatal: true, reason: `${m.type}: room must be base64url of 32 bytes` };
      return { ok: true, message: { type: m.type, room: m.room } };
    case 'publish':
      if (!isRoomId(m.room)) return { ok: false, fatal: true, reason: 'publish: room must be base64url of 32 bytes' };
      if (typeof m.data !== 'string' || !DATA_RE.test(m.data))
        return { ok: false, fatal: true, reason: 'publish: data must be non-empty base64url' };
      return { ok: true, message: { type: 'publish', room: m.room, data: m.data } };
    default:
      if (typeof m.type !== 'string') return { ok: false, fatal: true, reason: 'type must be a string' };
      return { ok: false, fatal: false, code: 'unknown-type', reason: 'unknown message type' };
  }
}

/** Relay → client frames, serialised once and sent as is. */
export const encode = {
  subscribed: (room: string, peers: number) => JSON.stringify({ type: 'subscribed', room, peers }),
  peerJoined: (room: string) => JSON.stringify({ type: 'peer-joined', room }),
  peerLeft: (room: string) => JSON.stringify({ type: 'peer-left', room }),
  message: (room: string, data: string) => JSON.stringify({ type: 'message', room, data }),
  /** `message` for a room and data already checked to be base64url (nothing to escape in JSON). */
  plainMessage: (room: string, data: string) => `{"type":"message","room":"${room}","data":"${data}"}`,
  pong: () => '{"type":"pong"}',
  error: (code: string, message: string, room?: string) =>
    JSON.stringify(room === undefined ? { type: 'error', code, message } : { type: 'error', code, message, room }),
};
