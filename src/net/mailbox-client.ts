/**
 * The relay's mailbox, client side (docs/net.md "Mailbox client"; protocol in docs/relay.md
 * "Mailbox"): put a sealed blob at an address, fetch the blobs at an address, acknowledge them so
 * the relay deletes them. Runs over the app's one {@link SignalingClient} socket; every request
 * resolves with a value — the result, or a typed failure — and never throws for anything the
 * relay or the network does.
 *
 * Nothing is queued or retried here: a request made while the socket is not open fails at once
 * with `MAILBOX_OFFLINE`, and one whose socket is lost before the answer with the same code (a put
 * may or may not have been stored then; putting it again is harmless, the receiver's ratchet and
 * inbox drop the copy). The caller (the outbox) decides when to try again.
 * @module
 */
import { failure, type Failure } from '../core/errors';
import { MAILBOX_SIZE_CLASSES } from '../core/mailbox';
import { BLOB_ID_RE, ROOM_RE, fromBase64url, toBase64url } from './relay-protocol';
import type { RelayReply, SignalingClient } from './signaling';

export type MailboxFailureCode =
  /** The address holds as many blobs as the relay keeps (MAILBOX_MAX_BLOBS): deliver directly later. */
  | 'MAILBOX_FULL'
  /** The relay's storage as a whole is full. */
  | 'MAILBOX_STORAGE_FULL'
  /** This network address stored too much lately (per-address quota): try again in a minute. */
  | 'MAILBOX_QUOTA'
  /** The blob's size class is above what this relay stores. */
  | 'MAILBOX_TOO_LARGE'
  /** The relay refused the blob's length (a bug: blobs come from sealMailboxBlob). */
  | 'MAILBOX_BAD_SIZE'
  /** The relay's storage (Redis) is unreachable. */
  | 'MAILBOX_UNAVAILABLE'
  /** The relay keeps no mailboxes (protocol 1, or the feature is off). */
  | 'MAILBOX_UNSUPPORTED'
  /** Not connected to the relay, or the connection was lost before the answer. */
  | 'MAILBOX_OFFLINE'
  /** No answer within the timeout. */
  | 'MAILBOX_TIMEOUT';

export type MailboxFailure = Failure<MailboxFailureCode>;
export interface FetchedBlob {
  /** The relay's id for it, to acknowledge it with. */
  id: string;
  /** The sealed blob as it was put (open it with openMailboxBlob). */
  data: Uint8Array;
}

const RELAY_CODES: Record<string, MailboxFailureCode> = {
  'mailbox-full': 'MAILBOX_FULL',
  'mailbox-storage-full': 'MAILBOX_STORAGE_FULL',
  'mailbox-quota': 'MAILBOX_QUOTA',
  'mailbox-too-large': 'MAILBOX_TOO_LARGE',
  'mailbox-bad-size': 'MAILBOX_BAD_SIZE',
  'mailbox-unavailable': 'MAILBOX_UNAVAILABLE',
  'unknown-type': 'MAILBOX_UNSUPPORTED',
};

interface Pending {
  type: string;
  resolve: (r: RelayReply | MailboxFailure) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class MailboxClient {
  readonly #signaling: SignalingClient;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, Pending>();
  readonly #unsubscribe: (() => void)[];
  #nextReq = 0;

  /** `timeoutMs`: how long a request waits for its answer (default 15 s). */
  constructor(signaling: SignalingClient, opts: { timeoutMs?: number } = {}) {
    this.#signaling = signaling;
    this.#timeoutMs = opts.timeoutMs ?? 15_000;
    this.#unsubscribe = [
      signaling.onReply((m) => this.#onReply(m)),
      signaling.onStatus((s) => {
        if (s !== 'open') this.#failAll('MAILBOX_OFFLINE', 'the connection to the relay was lost before it answered');
      }),
    ];
  }

  /** Leaves `blob` (a sealed blob from sealMailboxBlob: its length is a size class) at `address`. */
  async put(address: string, blob: Uint8Array): Promise<{ ok: true; id: string } | MailboxFailure> {
    checkAddress(address);
    if (!(blob instanceof Uint8Array) || !(MAILBOX_SIZE_CLASSES as readonly number[]).includes(blob.length))
      throw new TypeError(`put: blob must be a sealed mailbox blob of ${MAILBOX_SIZE_CLASSES.join('/')} bytes`);
    const limits = this.#signaling.relayInfo?.mailbox;
    if (limits && blob.length > limits.maxBytes)
      return fail('MAILBOX_TOO_LARGE', 'put', `this relay stores blobs of at most ${limits.maxBytes} bytes`);
    const r = await this.#request({ type: 'mailbox-put', address, data: toBase64url(blob) });
    return 'type' in r && r.type === 'mailbox-stored' ? { ok: true, id: r.id } : asFailure(r, 'put');
  }

  /**
   * One page of the blobs at `address` with an id above `after` (all when omitted), in the order
   * they were put; `more` says another page follows (fetch again with the last id). Blobs whose
   * data is not base64url cannot be from a Parley client: they are acknowledged and left out.
   */
  async fetch(
    address: string,
    opts: { after?: string } = {},
  ): Promise<{ ok: true; blobs: FetchedBlob[]; more: boolean } | MailboxFailure> {
    checkAddress(address);
    if (opts.after !== undefined && !BLOB_ID_RE.test(opts.after)) throw new TypeError('fetch: after must be a blob id');
    const r = await this.#request({ type: 'mailbox-fetch', address, ...opts });
    if (!('type' in r) || r.type !== 'mailbox-blobs') return asFailure(r, 'fetch');
    const blobs: FetchedBlob[] = [];
    const junk: string[] = [];
    for (const b of r.blobs) {
      const data = fromBase64url(b.data);
      if (data) blobs.push({ id: b.id, data });
      else junk.push(b.id);
    }
    if (junk.length > 0) void this.ack(address, junk);
    return { ok: true, blobs, more: r.more };
  }

  /** Every blob at `address`, page after page. */
  async fetchAll(address: string): Promise<{ ok: true; blobs: FetchedBlob[] } | MailboxFailure> {
    const all: FetchedBlob[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.fetch(address, after === undefined ? {} : { after });
      if (!page.ok) return page;
      all.push(...page.blobs);
      if (!page.more || page.blobs.length === 0) return { ok: true, blobs: all };
      after = page.blobs[page.blobs.length - 1]!.id;
    }
  }

  /** Deletes the named blobs at the relay; `deleted` counts those that were still there. */
  async ack(address: string, ids: string[]): Promise<{ ok: true; deleted: number } | MailboxFailure> {
    checkAddress(address);
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || !BLOB_ID_RE.test(id)))
      throw new TypeError('ack: ids must be blob ids');
    let deleted = 0;
    for (let i = 0; i < ids.length; i += 256) {
      const r = await this.#request({ type: 'mailbox-ack', address, ids: ids.slice(i, i + 256) });
      if (!('type' in r) || r.type !== 'mailbox-acked') return asFailure(r, 'ack');
      deleted += r.deleted;
    }
    return { ok: true, deleted };
  }

  /** Stops listening; requests still waiting fail with MAILBOX_OFFLINE. */
  close(): void {
    this.#unsubscribe.forEach((u) => u());
    this.#failAll('MAILBOX_OFFLINE', 'the mailbox client was closed');
  }

  #request(m: { type: string; address: string; [k: string]: unknown }): Promise<RelayReply | MailboxFailure> {
    const step = m.type.replace('mailbox-', '');
    const info = this.#signaling.relayInfo;
    if (info && !info.features.includes('mailbox'))
      return Promise.resolve(fail('MAILBOX_UNSUPPORTED', step, 'this relay keeps no mailboxes (an older relay)'));
    const req = (++this.#nextReq).toString(36);
    if (!this.#signaling.sendRequest({ ...m, req }))
      return Promise.resolve(fail('MAILBOX_OFFLINE', step, 'not connected to the relay; try again once it is back'));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(req);
        resolve(fail('MAILBOX_TIMEOUT', step, `the relay did not answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(req, { type: m.type, resolve, timer });
    });
  }

  #onReply(m: RelayReply): void {
    // A protocol-1 relay answers each request with `unknown-type` and no `req`, in order.
    const req = m.req ?? [...this.#pending.keys()][0];
    const p = req === undefined ? undefined : this.#pending.get(req);
    if (!p) return;
    this.#pending.delete(req!);
    clearTimeout(p.timer);
    p.resolve(m);
  }

  #failAll(code: MailboxFailureCode, message: string): void {
    for (const [req, p] of [...this.#pending]) {
      this.#pending.delete(req);
      clearTimeout(p.timer);
      p.resolve(fail(code, p.type.replace('mailbox-', ''), message));
    }
  }
}

function checkAddress(address: string): void {
  if (typeof address !== 'string' || !ROOM_RE.test(address))
    throw new TypeError('address: expected a mailbox address (43 base64url characters, from mailboxAddress)');
}

function fail(code: MailboxFailureCode, step: string, message: string): MailboxFailure {
  return failure(
    code,
    code === 'MAILBOX_OFFLINE' || code === 'MAILBOX_TIMEOUT' ? 'local' : 'server',
    `mailbox ${step}`,
    message,
  );
}

function asFailure(r: RelayReply | MailboxFailure, step: string): MailboxFailure {
  if ('ok' in r) return r;
  if (r.type === 'error') return fail(RELAY_CODES[r.code] ?? 'MAILBOX_UNAVAILABLE', step, `relay: ${r.message}`);
  return fail('MAILBOX_UNAVAILABLE', step, `relay answered ${r.type} to a ${step} (a relay bug)`);
}
