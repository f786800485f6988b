/**
 * Per-client-address limits (docs/relay.md "Budgets"): which address a socket counts under, and
 * the per-address connection cap, message rate and mailbox quota.
 *
 * Behind a reverse proxy every socket comes from the proxy, so the address is read from
 * TRUST_PROXY_HEADER — and only from there, and only the entry appended by the trusted proxies:
 * with `hops` proxies in front (each appending the address it saw, as nginx's
 * `$proxy_add_x_forwarded_for` does), the client is the `hops`-th entry from the right; anything
 * further left was written by the client and is ignored. Without the setting the header is never
 * read. IPv6 clients count per /64, since one host usually holds a whole /64.
 */
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { TokenBucket } from './limits';

/** The address a request counts under (before grouping IPv6 by /64). */
export function clientAddress(req: IncomingMessage, header: string | null, hops: number): string {
  const peer = normalise(req.socket.remoteAddress ?? '') ?? 'unknown';
  if (!header) return peer;
  const raw = req.headers[header];
  const value = Array.isArray(raw) ? raw.join(',') : raw;
  if (!value) return peer;
  const entries = value.split(',').map((s) => s.trim());
  const chosen = entries[Math.max(0, entries.length - hops)];
  return (chosen !== undefined && normalise(chosen)) || peer;
}

/** A plain IP address (IPv4-mapped IPv6 as IPv4), or null when `s` is none (ports and brackets are stripped). */
function normalise(s: string): string | null {
  let a = s.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (bracketed) a = bracketed[1]!;
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(':'));
  if (a.toLowerCase().startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
  return isIP(a) ? a.toLowerCase() : null;
}

/** The key limits are counted under: an IPv4 address, or the /64 prefix of an IPv6 one. */
export function addressKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return (
    groups
      .slice(0, 4)
      .map((g) => g.replace(/^0+(?=.)/, ''))
      .join(':') + '::/64'
  );
}

export interface IpLimits {
  maxConnectionsPerIp: number;
  ipMessagesPerSecond: number;
  ipBurst: number;
  mailboxIpBytesPerMinute: number;
}

interface Entry {
  connections: number;
  messages: TokenBucket;
  mailbox: TokenBucket;
}

/** Connections, message rate and mailbox quota per address key, on this instance. */
export class IpTable {
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly limits: IpLimits) {}

  /** Counts a new socket from `key`; false (nothing counted) when the address is at its cap. */
  admit(key: string, now: number): boolean {
    const e = this.#entry(key, now);
    if (e.connections >= this.limits.maxConnectionsPerIp) return false;
    e.connections++;
    return true;
  }

  release(key: string): void {
    const e = this.#entries.get(key);
    if (e) e.connections = Math.max(0, e.connections - 1);
  }

  /** One frame from `key`; false when the address is over its shared message rate. */
  takeMessage(key: string, now: number): boolean {
    return this.#entry(key, now).messages.take(now);
  }

  /** `bytes` of mailbox storage from `key`; false when over MAILBOX_IP_BYTES_PER_MINUTE. */
  takeMailbox(key: string, bytes: number, now: number): boolean {
    return this.#entry(key, now).mailbox.take(now, bytes);
  }

  /** Forgets addresses with no socket whose buckets have refilled (they would start full anyway). */
  sweep(now: number): void {
    for (const [key, e] of this.#entries)
      if (e.connections === 0 && e.messages.isFull(now) && e.mailbox.isFull(now)) this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  #entry(key: string, now: number): Entry {
    let e = this.#entries.get(key);
    if (!e) {
      const l = this.limits;
      const perMinute = l.mailboxIpBytesPerMinute;
      e = {
        connections: 0,
        messages: new TokenBucket(l.ipMessagesPerSecond, l.ipBurst, now),
        mailbox: new TokenBucket(perMinute / 60, perMinute, now),
      };
      this.#entries.set(key, e);
    }
    return e;
  }
}
