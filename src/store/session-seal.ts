/**
 * The ratchet state kept in a contact's session row (docs/session.md §3, docs/security-ratchet.md
 * "Persistence"): reading it back, stepping the row to a new state, sealing a message with it,
 * and the inner message an outbox entry carries. Every step is written with the row's
 * `version` + 1, so a receive that read the row earlier starts again instead of overwriting it.
 * @module
 */
import type { IDBPTransaction } from 'idb';
import { encrypt, parseState, serializeState, type RatchetState, type RatchetStateJson } from '../core/ratchet';
import { encodeWire, type WireMessage } from '../core/wire';
import type { ParleySchema } from './db';
import { groupInner, isGroupPayload } from './group-outbox';
import type { OutPayload, SessionRow, StoredSession } from './session-row';

/** The transaction `sealEntry` runs in. */
export type SealEntryTx = IDBPTransaction<ParleySchema, ['sessions', 'messages', 'groupMessages'], 'readwrite'>;

/**
 * The stored ratchet state of `contact`, parsed. Throws if it does not parse: the app wrote it,
 * so a bad one is this device's storage failing, not a peer's doing.
 */
export function loadState(contact: string, json: RatchetStateJson): RatchetState {
  const p = parseState(json);
  if (!p.ok) throw new Error(`sessions: the stored ratchet state of ${contact} is corrupt: ${p.message}`);
  return p.state;
}

/** `row` with `session` at ratchet state `state`, one version on. */
export function steppedRow(row: SessionRow, session: StoredSession, state: RatchetState): SessionRow {
  return { ...row, version: row.version + 1, session: { ...session, state: serializeState(state) } };
}

/**
 * `inner` sealed with `state` (the parsed state of `session`): the ratchet message, and the row
 * to put before it leaves, so a message key is never used twice.
 */
export function sealWith(
  row: SessionRow,
  session: StoredSession,
  state: RatchetState,
  inner: WireMessage,
): { message: Uint8Array; row: SessionRow } {
  const sealed = encrypt(state, encodeWire(inner));
  return { message: sealed.message, row: steppedRow(row, session, sealed.state) };
}

/** What outbox entry `id` carries: its chat text (from `messages`) or its group message; null when gone. */
export async function entryInner(
  tx: SealEntryTx,
  contact: string,
  id: string,
  payload: OutPayload,
): Promise<WireMessage | null> {
  if (isGroupPayload(payload)) return groupInner(tx.objectStore('groupMessages'), id, payload);
  const m = await tx.objectStore('messages').get([contact, id]);
  return m ? { type: 'chat', id, text: m.text, sentAt: m.sentAt } : null;
}
