/**
 * Serving the mailbox requests of relay protocol 2 (docs/relay.md "Mailbox"): checks a put's
 * size class and the sender's per-address quota before storage is touched, and answers every
 * request with its result or a typed error carrying its `req`. A storage failure is answered
 * `mailbox-unavailable`; the socket stays open.
 */
import type { IpTable } from './client-ip';
import type { RelayConfig } from './config';
import type { Client } from './connections';
import type { Logger } from './log';
import type { MailboxStore } from './mailbox-store';
import type { RelayMetrics } from './metrics';
import { encode } from './protocol';
import { MailboxError, blobClass, encodeMailbox, type MailboxRequest } from './protocol-mailbox';

/** Sees every mailbox request the relay accepts (tests record what the relay stores). */
export type MailboxHook = (e: { op: MailboxRequest['type']; address: string; data?: string; from: string }) => void;

export interface MailboxHandlerOptions {
  store: MailboxStore;
  cfg: RelayConfig;
  ips: IpTable;
  metrics: RelayMetrics;
  log: Logger;
  send: (c: Client, frame: string) => void;
  onMailbox?: MailboxHook;
}

/** Largest answer to one fetch, in characters of blob data (the client pages with `after`). */
export const FETCH_ANSWER_CHARS = 256 * 1024;

const MESSAGES: Record<string, string> = {
  [MailboxError.FULL]: 'this mailbox address holds as many blobs as the relay keeps; try again once they are fetched',
  [MailboxError.BAD_SIZE]: 'blob length is not a mailbox size class; pad it before sealing (a bug in the client)',
  [MailboxError.TOO_LARGE]: 'blob is larger than this relay stores (MAILBOX_MAX_BYTES); deliver it directly instead',
  [MailboxError.STORAGE_FULL]: "the relay's mailbox storage is full; try again later or deliver directly",
  [MailboxError.QUOTA]: 'this network address stored too much lately; try again in a minute',
  [MailboxError.UNAVAILABLE]: "the relay's mailbox storage is unreachable; try again later",
};

export function createMailboxHandler(o: MailboxHandlerOptions): (c: Client, m: MailboxRequest) => Promise<void> {
  const refuse = (c: Client, m: MailboxRequest, code: string): void => {
    o.metrics.refused(code);
    o.metrics.mailboxOp(opName(m), code);
    o.send(c, encode.error(code, MESSAGES[code] ?? code, undefined, m.req));
  };

  const put = async (c: Client, m: Extract<MailboxRequest, { type: 'mailbox-put' }>): Promise<void> => {
    const size = blobClass(m.data, o.cfg.mailboxMaxBytes);
    if (size === 'bad-size') return refuse(c, m, MailboxError.BAD_SIZE);
    if (size === 'too-large') return refuse(c, m, MailboxError.TOO_LARGE);
    if (!o.ips.takeMailbox(c.ip, size, Date.now())) return refuse(c, m, MailboxError.QUOTA);
    o.onMailbox?.({ op: m.type, address: m.address, data: m.data, from: c.id });
    const r = await o.store.put(m.address, m.data, size);
    if (!r.ok) return refuse(c, m, r.code);
    o.metrics.mailboxOp('put', 'ok');
    o.send(c, encodeMailbox.stored(m.req, m.address, r.id));
  };

  return async (c, m) => {
    try {
      if (m.type === 'mailbox-put') return await put(c, m);
      o.onMailbox?.({ op: m.type, address: m.address, from: c.id });
      if (m.type === 'mailbox-fetch') {
        const r = await o.store.fetch(m.address, m.after, FETCH_ANSWER_CHARS);
        o.metrics.mailboxOp('fetch', 'ok');
        return o.send(c, encodeMailbox.blobs(m.req, m.address, r.blobs, r.more));
      }
      const deleted = await o.store.ack(m.address, m.ids);
      o.metrics.mailboxOp('ack', 'ok');
      o.send(c, encodeMailbox.acked(m.req, m.address, deleted));
    } catch (e) {
      o.log.warn('mailbox storage failed', { op: m.type, error: (e as Error).message });
      refuse(c, m, MailboxError.UNAVAILABLE);
    }
  };
}

const opName = (m: MailboxRequest): 'put' | 'fetch' | 'ack' =>
  m.type === 'mailbox-put' ? 'put' : m.type === 'mailbox-fetch' ? 'fetch' : 'ack';
