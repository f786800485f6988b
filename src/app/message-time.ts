/**
 * Times on messages. `sentAt` is the sender's clock: the wire format accepts any safe integer,
 * which reaches past the largest time a `Date` can hold (8.64e15 ms), where
 * `toISOString()` throws — in the chat's render, for good, since the message is stored.
 * @module
 */

/**
 * The `sentAt` stored for an incoming message: the sender's time, but never later than when it
 * arrived, so a peer cannot pin a message below everything said afterwards (history is ordered
 * by `sentAt`) nor store a time no `Date` can show.
 */
export function incomingSentAt(sentAt: number, receivedAt: number): number {
  return Number.isFinite(sentAt) && sentAt >= 0 ? Math.min(sentAt, receivedAt) : receivedAt;
}

/** ISO text for a `<time datetime>`, or '' for a time a `Date` cannot hold (history stored earlier). */
export function isoTime(t: number): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}
