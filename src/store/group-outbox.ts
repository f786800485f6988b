/**
 * How group messages ride the pairwise outbox (docs/groups.md §10.2): each copy of a group
 * message is an entry in the outbox to that member, whose payload says where the message is
 * (`GroupOutPayload`); `sealEntry` turns it into the wire message `group` with the entry's id, so
 * it is receipted, resent and ordered like chat. Received group messages go to the group inbox,
 * at most {@link MAX_WAITING_PER_PEER} per peer at a time (past that they are deferred, and the
 * sender's outbox sends them again).
 * @module
 */
import type { IDBPObjectStore, StoreNames } from 'idb';
import { fromBase64Url } from '../core/base64url';
import type { WireMessage } from '../core/wire';
import type { ParleyDb, ParleySchema } from './db';
import { MAX_WAITING_PER_PEER, type GroupOutPayload } from './group-records';

type Store<N extends StoreNames<ParleySchema>, M extends IDBTransactionMode> = IDBPObjectStore<
  ParleySchema,
  ArrayLike<StoreNames<ParleySchema>>,
  N,
  M
>;

/** The wire message for outbox entry `id` carrying `payload`; null when the referenced message is gone. */
export async function groupInner(
  groupMessages: Store<'groupMessages', 'readwrite' | 'readonly'>,
  id: string,
  payload: GroupOutPayload,
): Promise<WireMessage | null> {
  let data: Uint8Array | null | undefined;
  if (payload.bytes !== undefined) data = fromBase64Url(payload.bytes);
  else if (payload.ref !== undefined) data = (await groupMessages.get([payload.group, payload.ref]))?.bytes;
  return data && data.length > 0 ? { type: 'group', id, data } : null;
}

/** Whether `from` already has as many group messages waiting as it may. */
export async function groupInboxFull(groupInbox: Store<'groupInbox', 'readwrite'>, from: string): Promise<boolean> {
  return (await groupInbox.index('byFrom').count(from)) >= MAX_WAITING_PER_PEER;
}

/** Whether an outbox entry's payload is a group message's (chat entries carry `{}`). */
export function isGroupPayload(p: object): p is GroupOutPayload {
  return typeof (p as Partial<GroupOutPayload>).group === 'string';
}

/** A group copy waiting in a pairwise outbox, as the mailbox courier sees it (docs/groups.md §10.2). */
export interface PendingGroupCopy {
  id: string;
  /** The group message's length in bytes (the copy's wire message adds its envelope). */
  bytes: number;
  mailboxAt?: number;
}

/** The group copies among `ids` in `contact`'s outbox (others are chat: not listed). */
export async function pendingGroupCopies(
  db: ParleyDb,
  contact: string,
  ids: readonly string[],
): Promise<PendingGroupCopy[]> {
  const tx = db.transaction(['sessions', 'groupMessages'], 'readonly');
  const row = await tx.objectStore('sessions').get(contact);
  const want = new Set(ids);
  const out: PendingGroupCopy[] = [];
  for (const e of row?.outbox.entries ?? []) {
    if (!want.has(e.id) || !isGroupPayload(e.payload)) continue;
    const p = e.payload;
    const bytes =
      p.bytes !== undefined
        ? (fromBase64Url(p.bytes)?.length ?? 0)
        : ((await tx.objectStore('groupMessages').get([p.group, p.ref ?? '']))?.bytes?.length ?? 0);
    out.push({ id: e.id, bytes, ...(p.mailboxAt !== undefined ? { mailboxAt: p.mailboxAt } : {}) });
  }
  await tx.done;
  return out;
}

/**
 * Marks the group copy `id` to `contact` as left in its mailbox at `at`, if it still waits and was
 * not marked before (as `markLeftAtRelay` does for chat: one read-modify-write, the row's version
 * up so a concurrent `ContactSessions.receive` starts again). True when the row changed.
 */
export async function markGroupCopyLeft(db: ParleyDb, contact: string, id: string, at: number): Promise<boolean> {
  if (!Number.isSafeInteger(at) || at < 0) throw new TypeError('markGroupCopyLeft: at must be a time in ms');
  const tx = db.transaction('sessions', 'readwrite');
  const row = await tx.store.get(contact);
  const i = row?.outbox.entries.findIndex((e) => e.id === id) ?? -1;
  const entry = row && i >= 0 ? row.outbox.entries[i]! : null;
  const payload = entry && isGroupPayload(entry.payload) ? entry.payload : null;
  const mark = !!payload && payload.mailboxAt === undefined;
  if (mark) {
    const entries = [...row!.outbox.entries];
    entries[i] = { ...entry!, payload: { ...payload, mailboxAt: at } };
    await tx.store.put({ ...row!, version: row!.version + 1, outbox: { ...row!.outbox, entries } });
  }
  await tx.done;
  return mark;
}
