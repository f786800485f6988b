/**
 * The pure side of the relay protocol (docs/interfaces.md, "Signaling relay protocol"; docs/relay.md
 * "Protocol", protocol 2 with the mailbox), kept apart from the socket so it can be tested without
 * one: message validation, the retry schedule and the base64url used for room ids and blobs.
 * @module
 */

/** The relay's `welcome` (protocol ≥ 2): its version, features and mailbox limits. */
export interface RelayInfo {
  protocol: number;
  features: string[];
  /** Present when the relay keeps mailboxes: blob sizes it stores, per-address count, TTL. */
  mailbox: { maxBlobs: number; maxBytes: number; sizes: number[]; ttlS: number } | null;
}

/** Answers to mailbox requests, tied to their request by `req`. */
export type MailboxReply =
  | { type: 'mailbox-stored'; req: string; address: string; id: string }
  | { type: 'mailbox-blobs'; req: string; address: string; blobs: { id: string; data: string }[]; more: boolean }
  | { type: 'mailbox-acked'; req: string; address: string; deleted: number };

/** What the relay may send us, after validation. Anything else is ignored. */
export type RelayMessage =
  | { type: 'subscribed'; room: string; peers: number }
  | { type: 'message'; room: string; data: Uint8Array }
  | { type: 'peer-joined'; room: string }
  | { type: 'peer-left'; room: string }
  | { type: 'pong' }
  | ({ type: 'welcome' } & RelayInfo)
  | MailboxReply
  /** `req` ties the error to a request; `room` to a room. */
  | { type: 'error'; code: string; message: string; req?: string; room?: string };

/** This client's relay protocol version (docs/relay.md "Protocol"): 2 = rooms + mailbox. */
export const CLIENT_PROTOCOL_VERSION = 2;

/** A mailbox blob id: the relay's per-address sequence number. */
export const BLOB_ID_RE = /^[1-9][0-9]{0,15}$/;
const REQ_RE = /^[A-Za-z0-9_-]{1,16}$/;

/** A room id: base64url (no padding) of 32 bytes. */
export const ROOM_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Retry delay for the `attempt`-th consecutive failure (0-based): exponential from `minMs`,
 * capped at `maxMs`, with "equal jitter" (half fixed, half random) so that many clients cut
 * off by one relay restart do not all come back in the same millisecond.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  if (!(attempt >= 0) || !(minMs > 0) || !(maxMs >= minMs))
    throw new RangeError('backoffDelay: need attempt ≥ 0 and 0 < minMs ≤ maxMs');
  const exp = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** Close code of a relay instance that is draining (1012 service restart): reconnect now, elsewhere. */
export const RECONNECT_NOW = 1012;
/** Reconnects after a 1012 are spread over this long, so a drained instance's clients do not all arrive at once. */
export const RECONNECT_NOW_SPREAD_MS = 1000;

/**
 * Delay before reconnect attempt `attempt` (0 = the first after the socket was lost): after a
 * 1012 from the relay (docs/relay.md "Operations": the instance drains; another one answers), the
 * first attempt comes within RECONNECT_NOW_SPREAD_MS; otherwise, and for later attempts, the
 * {@link backoffDelay} schedule.
 */
export function reconnectDelay(
  attempt: number,
  lastCloseCode: number | null,
  minMs: number,
  maxMs: number,
  random: () => number,
): number {
  if (lastCloseCode === RECONNECT_NOW && attempt === 0) return Math.round(random() * RECONNECT_NOW_SPREAD_MS);
  return backoffDelay(attempt, minMs, maxMs, random);
}

/** base64url without padding (the relay protocol's encoding of `data` and room ids). */
export function toBase64url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Inverse of {@link toBase64url}; null on anything that is not canonical base64url. */
export function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  let bin: string;
  try {
    bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  } catch {
    return null;
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return toBase64url(out) === text ? out : null;
}

/** Validates one text frame from the relay; null if it is not a message we understand. */
export function parseRelayMessage(text: string): RelayMessage | null {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof m !== 'object' || m === null) return null;
  const o = m as Record<string, unknown>;
  const room = typeof o.room === 'string' && ROOM_RE.test(o.room) ? o.room : null;
  switch (o.type) {
    case 'pong':
      return { type: 'pong' };
    case 'subscribed':
      return room && typeof o.peers === 'number' && Number.isInteger(o.peers) && o.peers >= 0
        ? { type: 'subscribed', room, peers: o.peers }
        : null;
    case 'peer-joined':
    case 'peer-left':
      return room ? { type: o.type, room } : null;
    case 'message': {
      const data = typeof o.data === 'string' ? fromBase64url(o.data) : null;
      return room && data ? { type: 'message', room, data } : null;
    }
    case 'error': {
      const e: RelayMessage = { type: 'error', code: String(o.code ?? 'unknown'), message: String(o.message ?? '') };
      if (typeof o.req === 'string' && REQ_RE.test(o.req)) e.req = o.req;
      if (room) e.room = room;
      return e;
    }
    case 'welcome':
      return parseWelcome(o);
    default:
      return parseMailboxReply(o);
  }
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

function parseWelcome(o: Record<string, unknown>): RelayMessage | null {
  if (!isCount(o.protocol) || o.protocol < 1) return null;
  const features = Array.isArray(o.features) ? o.features.filter((f): f is string => typeof f === 'string') : [];
  const m = o.mailbox as Record<string, unknown> | undefined;
  const sizes = Array.isArray(m?.sizes) ? m.sizes.filter(isCount) : [];
  const mailbox =
    m && isCount(m.maxBlobs) && isCount(m.maxBytes) && isCount(m.ttlS) && sizes.length > 0
      ? { maxBlobs: m.maxBlobs, maxBytes: m.maxBytes, sizes, ttlS: m.ttlS }
      : null;
  return { type: 'welcome', protocol: o.protocol, features, mailbox };
}

function parseMailboxReply(o: Record<string, unknown>): MailboxReply | null {
  if (typeof o.req !== 'string' || !REQ_RE.test(o.req)) return null;
  if (typeof o.address !== 'string' || !ROOM_RE.test(o.address)) return null;
  const head = { req: o.req, address: o.address };
  switch (o.type) {
    case 'mailbox-stored':
      return typeof o.id === 'string' && BLOB_ID_RE.test(o.id) ? { type: o.type, ...head, id: o.id } : null;
    case 'mailbox-acked':
      return isCount(o.deleted) ? { type: o.type, ...head, deleted: o.deleted } : null;
    case 'mailbox-blobs': {
      if (!Array.isArray(o.blobs) || typeof o.more !== 'boolean') return null;
      const blobs = o.blobs.filter(
        (b): b is { id: string; data: string } =>
          typeof b === 'object' &&
          b !== null &&
          typeof b.id === 'string' &&
          BLOB_ID_RE.test(b.id) &&
          typeof b.data === 'string',
      );
      return blobs.length === o.blobs.length ? { type: o.type, ...head, blobs, more: o.more } : null;
    }
    default:
      return null;
  }
}
