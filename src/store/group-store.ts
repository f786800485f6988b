/**
 * Groups in the app's database (docs/groups.md §10.2): the group rows, their timelines, members
 * met through introductions, and the group inbox. Every change the group state makes is ONE
 * transaction ({@link GroupStore.commit}): the group row, the timeline rows it writes, the copies
 * it queues in the members' pairwise outboxes and the inbox rows it took — so a message is stored
 * with the timeline before any copy can leave, and a received message is taken exactly once.
 * @module
 */
import { toBase64Url } from '../core/base64url';
import { enqueue } from '../core/outbox';
import { emptySessionRow } from './session-row';
import type { ParleyDb } from './db';
import type {
  GroupInboxRecord,
  GroupMessageRecord,
  GroupOutPayload,
  GroupPeerRecord,
  GroupRecord,
} from './group-records';

/** One copy to queue: to the member `to` (hex), an own timeline message by id, or control bytes. */
export type GroupOutgoing = { to: string; group: string } & ({ ref: string } | { bytes: Uint8Array });

/** What one step of the group state writes, together. */
export interface GroupCommit {
  group?: GroupRecord;
  messages?: GroupMessageRecord[];
  outgoing?: GroupOutgoing[];
  peers?: GroupPeerRecord[];
  /** Group inbox rows taken (or dropped) by this step. */
  takeInbox?: number[];
}

const STORES = ['groups', 'groupMessages', 'groupPeers', 'groupInbox', 'sessions'] as const;

export class GroupStore {
  constructor(
    private readonly db: ParleyDb,
    private readonly now: () => number = Date.now,
  ) {}

  list(): Promise<GroupRecord[]> {
    return this.db.getAll('groups');
  }
  get(id: string): Promise<GroupRecord | undefined> {
    return this.db.get('groups', id);
  }
  /** A group's timeline rows (unsorted: the view sorts by `compareGroupOrder`). */
  messages(group: string): Promise<GroupMessageRecord[]> {
    return this.db.getAll('groupMessages', IDBKeyRange.bound([group], [group, []]));
  }
  message(group: string, id: string): Promise<GroupMessageRecord | undefined> {
    return this.db.get('groupMessages', [group, id]);
  }
  peers(): Promise<GroupPeerRecord[]> {
    return this.db.getAll('groupPeers');
  }
  /** The group inbox, in arrival order. */
  inbox(): Promise<GroupInboxRecord[]> {
    return this.db.getAll('groupInbox');
  }

  /** Records that a link to a group peer came up. */
  async touchPeer(key: string, lastSeen: number): Promise<void> {
    const tx = this.db.transaction('groupPeers', 'readwrite');
    const p = await tx.store.get(key);
    if (p) await tx.store.put({ ...p, lastSeen });
    await tx.done;
  }

  /**
   * Writes one step of the group state in one transaction (docs/groups.md §10.2); returns the
   * members whose outbox got something, to flush.
   */
  async commit(c: GroupCommit): Promise<string[]> {
    const tx = this.db.transaction(STORES, 'readwrite');
    if (c.group) await tx.objectStore('groups').put(c.group);
    for (const m of c.messages ?? []) await tx.objectStore('groupMessages').put(m);
    for (const p of c.peers ?? []) await tx.objectStore('groupPeers').put(p);
    for (const seq of c.takeInbox ?? []) await tx.objectStore('groupInbox').delete(seq);
    const touched = new Set<string>();
    const sessions = tx.objectStore('sessions');
    for (const o of c.outgoing ?? []) {
      const row = (await sessions.get(o.to)) ?? emptySessionRow(o.to);
      const payload: GroupOutPayload =
        'ref' in o ? { group: o.group, ref: o.ref } : { group: o.group, bytes: toBase64Url(o.bytes) };
      const { outbox } = enqueue(row.outbox, payload, this.now());
      await sessions.put({ ...row, version: row.version + 1, outbox });
      touched.add(o.to);
    }
    await tx.done;
    return [...touched];
  }
}
