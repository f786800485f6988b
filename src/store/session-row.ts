/**
 * The row of the `sessions` store (docs/session.md §3): one per contact, holding its Double
 * Ratchet session, outbox and inbox. Its own module so that `db.ts` (the schema) and
 * `migrate-v2.ts` can name it without importing `contact-sessions.ts`, which imports `db.ts`.
 * @module
 */
import { randomBytes } from '@noble/hashes/utils.js';
import type { KxRole } from '../core/kx';
import { createInbox, createOutbox, type Inbox, type Outbox } from '../core/outbox';
import type { RatchetStateJson } from '../core/ratchet';
import type { GroupOutPayload } from './group-records';

/**
 * An outbox entry's payload: nothing for chat (the text is in `messages`; each link seals it anew,
 * see `sealEntry`), or where a group message is (docs/groups.md §10.2).
 */
export type OutPayload = Record<string, never> | GroupOutPayload;
/** A held (not yet deliverable) incoming message. */
export interface InPayload {
  text: string;
  sentAt: number;
  /** A `group` message (base64url of its bytes): delivered to the group inbox, not the chat (docs/groups.md §10.2). */
  groupBytes?: string;
  /** A message this side could not use: nothing is stored, it is receipted as `unsupported`. */
  unsupported?: true;
}
/** The stored session of a contact (docs/session.md §2). */
export interface StoredSession {
  id: string;
  role: KxRole;
  state: RatchetStateJson;
  roomKey: Uint8Array;
  peerKemPublicKey: Uint8Array;
  createdAt: number;
}
/** One row of the `sessions` store. `version` goes up by one on every write. */
export interface SessionRow {
  contact: string;
  version: number;
  session: StoredSession | null;
  outbox: Outbox<OutPayload>;
  inbox: Inbox<InPayload>;
  /** The mailbox days drained in full under `session` up to `day` (docs/session.md §7; src/store/mailbox-marks.ts). */
  mailboxDrained?: { session: string; day: number };
}

/** A contact's row before its first session: no session, an empty outbox and inbox. */
export function emptySessionRow(contact: string): SessionRow {
  return {
    contact,
    version: 0,
    session: null,
    outbox: createOutbox<OutPayload>(randomBytes),
    inbox: createInbox<InPayload>(),
  };
}
