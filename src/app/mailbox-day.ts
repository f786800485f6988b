/**
 * The mailbox on the relay socket of one UTC day (docs/session.md §7, docs/protocol-app.md §3.5):
 * a day's mailbox addresses are put to and fetched from only on that day's socket (`DaySockets`),
 * a past day's on a socket opened for that day alone, so no relay connection touches two days'
 * addresses of a contact and the relay cannot chain them by connection.
 * @module
 */
import type { DaySockets } from '../net/day-sockets';
import { MailboxClient } from '../net/mailbox-client';
import type { RelayInfo, SignalingClient } from '../net/signaling';
import { sleep } from './sleep';

/** What the courier uses of a mailbox client (tests may wrap the real one). */
export type MailboxApi = Pick<MailboxClient, 'put' | 'fetch' | 'ack' | 'close'>;

/** Makes the mailbox client of one socket; the real one unless a test says otherwise. */
export type MailboxClientFactory = (s: SignalingClient, timeoutMs: number) => MailboxApi;

export const realMailboxClient: MailboxClientFactory = (s, timeoutMs) => new MailboxClient(s, { timeoutMs });

/** The relay's mailbox settings as a socket learnt them, or null when it keeps no mailboxes. */
export type MailboxLimits = NonNullable<RelayInfo['mailbox']>;

export function mailboxLimits(info: RelayInfo | null): MailboxLimits | null {
  return info && info.features.includes('mailbox') && info.mailbox ? info.mailbox : null;
}

/**
 * Waits until `s` is open and the relay has said what it is (`welcome`), for at most `ms`
 * (counted in steps, not by the clock: tests move `Date.now`). False if it did not happen.
 */
export async function relayReady(s: SignalingClient, ms: number, signal: AbortSignal): Promise<boolean> {
  const step = 50;
  for (let waited = 0; !(s.status === 'open' && s.relayInfo !== null); waited += step) {
    if (signal.aborted || s.status === 'closed' || waited >= ms) return false;
    await sleep(step, signal);
  }
  return true;
}

export interface DaySocketOptions {
  signal: AbortSignal;
  /** How long to wait for the day's socket to open. */
  openWaitMs: number;
  /** How long one mailbox request waits for its answer. */
  timeoutMs: number;
  client: MailboxClientFactory;
}

/**
 * Runs `use` with a mailbox client on the relay socket of UTC `day`: leases the day (which opens
 * its socket if none is open), waits until the socket is ready, and gives it back afterwards (a
 * past day's socket then closes). Null when the socket was not ready in time or the app stops.
 */
export async function onDaySocket<T>(
  relay: DaySockets,
  day: number,
  o: DaySocketOptions,
  use: (m: MailboxApi, limits: MailboxLimits | null) => Promise<T>,
): Promise<T | null> {
  if (o.signal.aborted) return null;
  const lease = relay.lease([day]);
  const socket = lease.forDay(day);
  let client: MailboxApi | null = null;
  try {
    if (!(await relayReady(socket, o.openWaitMs, o.signal))) return null;
    client = o.client(socket, o.timeoutMs);
    return await use(client, mailboxLimits(socket.relayInfo));
  } finally {
    client?.close();
    lease.release();
  }
}
