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
import type { ParleySchema } from './db';
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
