/**
 * Group files wired to the app's pairwise transfers (docs/groups.md §7): the sender offers picked
 * files (hashed once, kept on a {@link GroupFileShelf} while the page lives) and answers each
 * member's request with an ordinary transfer; a member's Accept sends the request, and the transfer
 * that answers it is accepted without asking again, then checked against the offer's SHA-256.
 * @module
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { matchesGroupOffer } from '../core/group-files';
import { MAX_GROUP_FILES } from '../core/group-wire';
import { incomingFileInfo } from '../net/transfer-names';
import type { TransferManagerEvent } from '../net/transfer-types';
import type { GroupStore } from '../store/group-store';
import type { GroupMessageRecord, GroupRecord } from '../store/group-records';
import type { GroupEngine } from './group-engine';
import { describeFiles, GroupFileShelf, sha256OfBlob, type GroupFileServer } from './group-files';
import { t } from './strings';
import type { TransfersState } from './transfers.svelte';

/** What the flow needs from `GroupsState`. */
export interface GroupFileFlowDeps {
  engine: () => GroupEngine;
  store: GroupStore;
  transfers: () => TransfersState | null;
  /** The groups this device holds now. */
  records: () => readonly GroupRecord[];
  /** The pairwise peer id (contact key or group peer key) for a member key hex. */
  peerOf: (memberHex: string) => string;
}

export class GroupFileFlow {
  readonly shelf = new GroupFileShelf();

  constructor(private readonly deps: GroupFileFlowDeps) {}

  /** The sender's side the engine calls on a checked request (docs/groups.md §7). */
  readonly server: GroupFileServer = {
    offers: (group) => this.shelf.offers(group),
    serve: ({ offerId, member, peer }) => {
      const transfers = this.deps.transfers();
      if (!transfers) return false;
      const files = this.shelf.take(offerId, member);
      if (files) void transfers.send(peer, files);
      return !!files;
    },
  };

  /** Offers `files` to the group: hashed, stamped, fanned out, kept here. A problem sentence, or null. */
  async offer(groupId: string, files: File[]): Promise<string | null> {
    if (files.length === 0) return null;
    if (files.length > MAX_GROUP_FILES) return t.groupFile.tooMany(MAX_GROUP_FILES);
    if (!this.shelf.fits(files.reduce((n, f) => n + f.size, 0))) return t.groupFile.tooLarge;
    let described;
    try {
      described = await describeFiles(files);
    } catch {
      return t.groupFile.unreadable;
    }
    const r = await this.deps.engine().offerFiles(groupId, described);
    if (!r.ok) return r.problem;
    this.shelf.keep(groupId, r.id, files);
    return null;
  }

  /** The member accepts an offer: the request goes to its sender (docs/groups.md §7). */
  async accept(groupId: string, rowId: string): Promise<string | null> {
    const r = await this.deps.engine().requestFile(groupId, rowId);
    return r.ok ? null : r.problem;
  }

  /** The member declines: nothing is sent; the row remembers it. */
  decline(groupId: string, rowId: string): Promise<void> {
    return this.deps.engine().markOffer(groupId, rowId, { answer: 'declined' });
  }

  /** Download links of the transfer that carried an accepted offer (null per file not there yet). */
  downloads(row: GroupMessageRecord): (string | null)[] {
    if (!row.transfer) return [];
    return (
      this.deps
        .transfers()
        ?.list(this.deps.peerOf(row.sender))
        .find((t) => t.id === row.transfer)?.urls ?? []
    );
  }

  /** A pairwise transfer event from peer `key`: answers to this member's requests are taken here. */
  onTransfer(key: string, e: TransferManagerEvent): void {
    if (e.type === 'offered' && e.direction === 'in') void this.offered(key, e.id, e.files).catch(() => {});
    if (e.type === 'complete' && e.direction === 'in') void this.completed(key, e.id).catch(() => {});
    // A transfer that ended without the file (cancelled, failed, declined) is not served again: say so.
    if (e.type === 'cancelled' || e.type === 'failed' || e.type === 'declined')
      void this.stopped(key, e.id).catch(() => {});
  }

  private async requestedFrom(key: string): Promise<GroupMessageRecord[]> {
    const rows: GroupMessageRecord[] = [];
    for (const rec of this.deps.records()) {
      if (rec.state !== 'member') continue;
      for (const m of await this.deps.store.messages(rec.id))
        if (m.offer && !m.own && this.deps.peerOf(m.sender) === key && m.answer !== 'declined') rows.push(m);
    }
    return rows;
  }

  /** An incoming transfer that carries the files of an offer this member requested from `key`: accepted. */
  private async offered(key: string, id: string, files: { name: string; type: string; size: number }[]) {
    const rows = await this.requestedFrom(key);
    const row = rows.find(
      (m) => m.answer === 'requested' && matchesGroupOffer(m.offer!.files.map(incomingFileInfo), files),
    );
    if (!row) return;
    await this.deps.engine().markOffer(row.group, row.id, { answer: 'receiving', transfer: id });
    await this.deps.transfers()?.acceptFiles(
      key,
      id,
      files.map((_, i) => i),
    );
  }

  private async stopped(key: string, id: string) {
    const row = (await this.requestedFrom(key)).find((m) => m.transfer === id && m.answer === 'receiving');
    if (row) await this.deps.engine().markOffer(row.group, row.id, { answer: 'stopped' });
  }

  /** The transfer is complete: each file must hash to the offer's SHA-256, or the row says it does not. */
  private async completed(key: string, id: string) {
    const transfers = this.deps.transfers();
    const row = (await this.requestedFrom(key)).find((m) => m.transfer === id);
    if (!transfers || !row) return;
    let same = true;
    for (const [i, f] of row.offer!.files.entries()) {
      const blob = await transfers.getFile(key, id, i);
      same &&= !!blob && bytesToHex(await sha256OfBlob(blob)) === f.sha256;
    }
    await this.deps.engine().markOffer(row.group, row.id, { answer: same ? 'received' : 'mismatch' });
  }
}
