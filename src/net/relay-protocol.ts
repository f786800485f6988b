/**
 * The pure side of the relay protocol (docs/interfaces.md, "Signaling relay protocol"), kept
 * apart from the socket so it can be tested without one: message validation, the retry
 * schedule and the base64url used for room ids and blobs.
 * @module
 */

/** What the relay may send us, after validation. Anything else is ignored. */
export type RelayMessage =
  | { type: 'subscribed'; room: string; peers: number }
  | { type: 'message'; room: string; data: Uint8Array }
  | { type: 'peer-joined'; room: string }
  | { type: 'peer-left'; room: string }
  | { type: 'pong' }
  | { type: 'error'; code: string; message: string };

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
    case 'error':
      return { type: 'error', code: String(o.code ?? 'unknown'), message: String(o.message ?? '') };
    default:
      return null;
  }
}
