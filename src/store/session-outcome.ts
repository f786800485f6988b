/**
 * What receiving one ratchet message on a contact's session yields (docs/session.md §3,
 * docs/security-ratchet.md "Persistence"): the outcome `ContactSessions.receive` returns, and the
 * pieces the appliers (`session-apply.ts`, `session-inbox.ts`) share inside the receive
 * transaction. A leaf module: it imports types only, so every receive module can use it.
 * @module
 */
import type { IDBPObjectStore } from 'idb';
import type { Failure } from '../core/errors';
import type { InboxMessage } from '../core/outbox';
import type { ParleySchema } from './db';
import type { InPayload, SessionRow } from './session-row';

/** Receive outcomes added with the announcements (docs/protocol.md "Compatibility"). */
export type InnerKindV2 = 'unsupported' | 'not-shown' | 'features-check';

/** What a received ratchet message did. */
export type SessionReceiveOutcome =
  | {
      status: 'ok';
      kind: 'chat' | 'receipt' | 'resume' | 'file-key' | 'group' | InnerKindV2;
      delivered: number;
      marked: boolean;
      receipts: string[] /*send after this resolves*/;
      /** The ids in `receipts` of messages this side could not use: receipted as `unsupported` (docs/protocol.md "Compatibility"). */ unsupported?: string[];
      /** kind 'features-check': the peer's digest of this link's announcements (docs/security.md "Downgrade"). */ digest?: Uint8Array;
      /** Ids of the history records this wrote (new messages, a delivered mark), for views to patch in. */ changed: string[];
      /** kind 'file-key': the peer's file key for this link (docs/session.md §6); never stored. */ fileKey?: Uint8Array;
    }
  | { status: 'replay' | 'rejected' | 'no-session'; failure: Failure }
  /**
   * A new chat message the receive budget did not take (docs/outbox.md §5): its ratchet step is
   * spent, nothing else is written and no receipt goes back, so the sender sends it again later.
   */
  | { status: 'deferred'; kind: 'chat' | 'group'; bound: 'budget' | 'held' };

/** An `ok` outcome. */
export type OkOutcome = Extract<SessionReceiveOutcome, { status: 'ok' }>;

/**
 * Decides whether a new chat message of `textBytes` UTF-8 bytes may be stored now (the contact's
 * receive budget, docs/outbox.md §5); a refusal defers it. Repeats are never asked about.
 */
export type ChatAdmission = (textBytes: number) => boolean;

/** The history store, inside the receive transaction. */
export type MessagesInTx = IDBPObjectStore<
  ParleySchema,
  ['sessions', 'messages', 'groupInbox'],
  'messages',
  'readwrite'
>;

/** The row and the outcome after one decrypted message, by its type. */
export interface Applied {
  next: SessionRow;
  outcome: SessionReceiveOutcome;
}

/**
 * The `ok` outcome of a message that delivered `delivered` (group messages are not history
 * records, so they are not among `changed`) and owes `receipts`.
 */
export function okOutcome(
  kind: 'chat' | 'resume' | 'file-key' | 'group' | Exclude<InnerKindV2, 'not-shown'>,
  delivered: InboxMessage<InPayload>[],
  receipts: string[],
): OkOutcome {
  return {
    status: 'ok',
    kind,
    delivered: delivered.length,
    marked: false,
    receipts,
    changed: delivered.filter((d) => d.payload.groupBytes === undefined).map((d) => d.id),
  };
}
