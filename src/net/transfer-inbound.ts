/**
 * What the peer sends to a `TransferManager` (docs/files.md §8, "Glue"): `transfer` wire messages
 * routed to their transfer's state machine by transfer id, sealed chunks to their receiver (or,
 * refused by the sealed-chunk layer, asked for again), new offers judged against the contact's
 * offer limits (docs/files.md "Offer flood"), and a peer still sending a transfer this side does not
 * know told `cancel` once. Extends `ManagerCore` (`transfer-manager-core.ts`); extended by
 * `TransferManager` (`transfers.ts`). Split out of `transfers.ts`; no behaviour of its own.
 * @module
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { decodeTransfer, encodeTransfer, TransferReceiver } from '../core/transfer';
import type { WireMessage } from '../core/wire';
import { maybeSave } from './transfer-entry';
import { IncomingOffers, MAX_TOLD_IDS } from './transfer-offers';
import { ManagerCore } from './transfer-manager-core';
import { incomingFileInfo } from './transfer-names';
import type { ChunkArrival, TransferManagerOptions } from './transfer-types';

/** The manager's inbound half: routing, offer limits and `cancel` to unknown transfers (docs/files.md §8). */
export abstract class ManagerInbound extends ManagerCore {
  /** Unknown transfer ids whose sender was already told `cancel` (at most MAX_TOLD_IDS, oldest dropped). */
  protected readonly told = new Set<string>();
  /** The limits on the contact's incoming offers (docs/files.md "Offer flood"). */
  protected readonly offers: IncomingOffers;

  protected constructor(o: TransferManagerOptions) {
    super(o);
    this.offers = new IncomingOffers(this.o.maxIncomingBytes, this.o.now());
  }

  protected onMessage(m: WireMessage): void {
    if (m.type !== 'transfer') return;
    const b = m.data;
    if (b.length < 18) return; // too short to carry an id: the codec would refuse it anyway
    const id = bytesToHex(b.subarray(2, 18));
    const e = this.entries.get(id);
    if (e) {
      const run = e.sender ? e.sender.receive(b) : e.receiver!.receive(b);
      void run.then((r) => {
        // The peer did not hear our cancel (the link was down): say it again, once per message it sends.
        if (!r.ok && r.code === 'TRANSFER_CANCELLED') this.tellCancelled(id);
        this.handle(e, r);
        this.kick();
      });
      return;
    }
    const d = decodeTransfer(b, 'receiver');
    if (!d.ok) return;
    if (d.message.type !== 'offer') {
      // A transfer we dismissed (or never knew): a peer still sending or resuming it is told once.
      if (['resume', 'chunk', 'hashes', 'ack'].includes(d.message.type)) this.tellUnknownOnce(id);
      return;
    }
    const judged = this.offers.judge(d.message.files, this.keptIncoming(), this.o.now());
    if ('reason' in judged) {
      const r = TransferReceiver.fromOffer(d.message, {
        writeChunk: async () => {},
        send: (x) => this.out.send(x),
        now: this.o.now,
      });
      if (r.ok) r.receiver.decline(judged.reason);
      this.emit({ type: 'refused', id, ...judged, files: d.message.files.length });
      return;
    }
    for (const old of judged.forget) this.forget(old);
    const n = this.add(id, 'in', d.message.files.map(incomingFileInfo), this.o.now());
    const made = TransferReceiver.fromOffer(d.message, this.receiverIo(n), this.o.transfer);
    if (!made.ok) {
      this.entries.delete(id);
      return;
    }
    n.receiver = made.receiver;
    this.after(n, async () => {
      await maybeSave(n, this.o);
      this.emit({ type: 'offered', id, direction: 'in', files: n.files });
    });
  }

  /** A sealed chunk from the link: opened (to its receiver), or refused (its receiver asks for it again). */
  protected onChunk(c: ChunkArrival): void {
    const place = c.ok ? c.chunk : c.claimed;
    if (!place) return; // not even a header: nothing to route or ask for again
    const id = bytesToHex(place.id);
    const e = this.entries.get(id);
    if (!e?.receiver) {
      if (c.ok && !e) this.tellUnknownOnce(id);
      return;
    }
    const run = c.ok
      ? e.receiver.receive({ type: 'chunk', ...c.chunk })
      : e.receiver.refuse(place.file, place.index, c.code, c.message);
    void run.then((r) => {
      if (!r.ok && r.code === 'TRANSFER_CANCELLED') this.tellCancelled(id);
      this.handle(e, r);
      this.kick();
    });
  }

  /** Tells the sender of a transfer this side does not know that it is cancelled, once per id. */
  private tellUnknownOnce(id: string): void {
    if (this.told.has(id)) return;
    this.told.add(id);
    if (this.told.size > MAX_TOLD_IDS) this.told.delete(this.told.values().next().value!);
    this.tellCancelled(id);
  }

  protected tellCancelled(id: string): void {
    this.out.send(encodeTransfer({ type: 'cancel', id: hexToBytes(id), reason: 'user' }));
  }
}
