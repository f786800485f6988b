/**
 * Mailbox frames of the relay protocol, version 2 (docs/relay.md "Mailbox"; docs/interfaces.md
 * "Signaling relay protocol"). A mailbox address has the shape of a room id; a blob is the
 * unpadded base64url of a sealed blob whose length is one of the size classes. Each request
 * carries a client-chosen `req` that the answer (or the error) repeats.
 */

/**
 * Sealed blob sizes the relay stores, in bytes. Clients pad inside the seal to the smallest
 * class that fits (src/core/mailbox.ts); the relay refuses any other length, so all it sees of a
 * message is which of these four it falls in. Must equal MAILBOX_SIZE_CLASSES in src/core/mailbox.ts.
 */
export const MAILBOX_SIZE_CLASSES = [1024, 4096, 16384, 32768] as const;

/** Most ids one `mailbox-ack` may name. */
export const MAX_ACK_IDS = 256;

/** Length of the unpadded base64url of `n` bytes. */
export const base64urlLength = (n: number): number => Math.ceil((n * 4) / 3);

const ADDRESS_RE = /^[A-Za-z0-9_-]{43}$/;
const REQ_RE = /^[A-Za-z0-9_-]{1,16}$/;
const BLOB_RE = /^[A-Za-z0-9_-]+$/;
/** Blob ids are the relay's per-address sequence numbers, as decimal strings. */
export const BLOB_ID_RE = /^[1-9][0-9]{0,15}$/;

export type MailboxRequest =
  | { type: 'mailbox-put'; req: string; address: string; data: string }
  | { type: 'mailbox-fetch'; req: string; address: string; after: string | null }
  | { type: 'mailbox-ack'; req: string; address: string; ids: string[] };

export type MailboxParse = { ok: true; message: MailboxRequest } | { ok: false; reason: string };

const bad = (reason: string): MailboxParse => ({ ok: false, reason });

/** Parses the fields of a mailbox frame whose `type` is already known to be one of the three. */
export function parseMailboxFrame(m: Record<string, unknown>, type: MailboxRequest['type']): MailboxParse {
  if (typeof m.req !== 'string' || !REQ_RE.test(m.req)) return bad(`${type}: req must be 1..16 base64url characters`);
  if (typeof m.address !== 'string' || !ADDRESS_RE.test(m.address))
    return bad(`${type}: address must be base64url of 32 bytes`);
  const head = { req: m.req, address: m.address };
  switch (type) {
    case 'mailbox-put':
      if (typeof m.data !== 'string' || !BLOB_RE.test(m.data))
        return bad('mailbox-put: data must be non-empty unpadded base64url');
      return { ok: true, message: { type, ...head, data: m.data } };
    case 'mailbox-fetch':
      if (m.after !== undefined && (typeof m.after !== 'string' || !BLOB_ID_RE.test(m.after)))
        return bad('mailbox-fetch: after must be a blob id');
      return { ok: true, message: { type, ...head, after: typeof m.after === 'string' ? m.after : null } };
    case 'mailbox-ack': {
      const ids = m.ids;
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_ACK_IDS)
        return bad(`mailbox-ack: ids must be an array of 1..${MAX_ACK_IDS} blob ids`);
      if (!ids.every((id): id is string => typeof id === 'string' && BLOB_ID_RE.test(id)))
        return bad('mailbox-ack: every id must be a blob id');
      return { ok: true, message: { type, ...head, ids: [...new Set(ids)] } };
    }
  }
}

/**
 * Which size class `data` (unpadded base64url) has, or why it has none: `bad-size` for a length
 * that is no class, `too-large` for a class above `maxBytes`.
 */
export function blobClass(data: string, maxBytes: number): number | 'bad-size' | 'too-large' {
  for (const size of MAILBOX_SIZE_CLASSES) {
    if (data.length === base64urlLength(size)) return size <= maxBytes ? size : 'too-large';
  }
  return data.length > base64urlLength(maxBytes) ? 'too-large' : 'bad-size';
}

/** Typed mailbox refusals (non-fatal `error` frames carrying the request's `req`). */
export const MailboxError = {
  /** The address already holds MAILBOX_MAX_BLOBS blobs. */
  FULL: 'mailbox-full',
  /** The blob's length is not one of the size classes. */
  BAD_SIZE: 'mailbox-bad-size',
  /** The blob's class is above MAILBOX_MAX_BYTES. */
  TOO_LARGE: 'mailbox-too-large',
  /** The deployment's mailbox storage (MAILBOX_MAX_TOTAL_BYTES) is full. */
  STORAGE_FULL: 'mailbox-storage-full',
  /** This client address stored more than MAILBOX_IP_BYTES_PER_MINUTE lately. */
  QUOTA: 'mailbox-quota',
  /** The storage backend (Redis) failed or is unreachable. */
  UNAVAILABLE: 'mailbox-unavailable',
} as const;

export interface StoredBlob {
  id: string;
  data: string;
}

/** Relay → client answers to mailbox requests. */
export const encodeMailbox = {
  stored: (req: string, address: string, id: string) =>
    `{"type":"mailbox-stored","req":"${req}","address":"${address}","id":"${id}"}`,
  blobs: (req: string, address: string, blobs: StoredBlob[], more: boolean) =>
    JSON.stringify({ type: 'mailbox-blobs', req, address, blobs, more }),
  acked: (req: string, address: string, deleted: number) =>
    `{"type":"mailbox-acked","req":"${req}","address":"${address}","deleted":${deleted}}`,
};
