/**
 * Database version 1 → 2 (docs/session.md §3): version 1 kept unsent messages as rows of an
 * `outbox` store (random message ids); version 2 keeps them in the contact's session row as an
 * outbox of `src/core/outbox.ts`, whose ids are `<stream>-<seq>`. Each unsent message gets the
 * next id of a new stream (its history record is moved to the new key), in the order it was
 * written, and is sealed under the first session the contact agrees (it has none yet).
 * @module
 */
import type { IDBPDatabase, IDBPTransaction } from 'idb';
import { enqueue } from '../core/outbox';
import { emptySessionRow, type SessionRow } from './session-row';

/** Version 1's outbox (a message id per row); version 2 moves it into the contact's session row. */
export interface OutboxRecord {
  seq?: number; // auto-increment: flush order
  contact: string;
  messageId: string;
}

/** What the migration reads of a history record (db.ts `MessageRecord`; named here to keep db.ts out of this module's imports). */
interface MessageFields {
  id: string;
  direction: 'in' | 'out';
  delivered: boolean;
  sentAt: number;
}

type AnyDb = IDBPDatabase<unknown>;
type AnyTx = IDBPTransaction<unknown, string[], 'versionchange'>;

/** Runs inside the upgrade transaction; only IndexedDB requests are awaited, so it stays one transaction. */
export async function migrateOutboxV2(db: AnyDb, tx: AnyTx): Promise<void> {
  const old = ((await tx.objectStore('outbox').getAll()) as Required<OutboxRecord>[]).sort((a, b) => a.seq - b.seq);
  const rows = new Map<string, SessionRow>();
  const messages = tx.objectStore('messages');
  for (const o of old) {
    const m = (await messages.get([o.contact, o.messageId])) as MessageFields | undefined;
    if (!m || m.direction !== 'out' || m.delivered) continue;
    const row = rows.get(o.contact) ?? emptySessionRow(o.contact);
    const { outbox, entry } = enqueue(row.outbox, {}, Math.max(0, Math.floor(m.sentAt)));
    rows.set(o.contact, { ...row, outbox });
    await messages.delete([o.contact, o.messageId]);
    await messages.put({ ...m, id: entry.id });
  }
  for (const row of rows.values()) await tx.objectStore('sessions').put(row);
  db.deleteObjectStore('outbox');
}
