/**
 * A TransferManager for node tests: in-memory file store, no persistence, no timers, every
 * event recorded, and `until(pred)` to wait for the first event (past or future) that matches.
 */
import { MemoryFileStore } from '../../src/net/file-store';
import {
  TransferManager,
  type TransferManagerEvent,
  type TransferPersistence,
  type TransferRecord,
} from '../../src/net/transfers';

/** Persistence in memory that round-trips records through JSON (as IndexedDB would clone them) and keeps the blobs apart. */
export class MemoryPersistence implements TransferPersistence {
  records = new Map<string, TransferRecord>();
  blobs = new Map<string, Blob[]>();
  saves = 0;
  async save(r: TransferRecord): Promise<void> {
    this.saves++;
    const { blobs, ...rest } = r;
    if (blobs?.length) this.blobs.set(r.id, blobs);
    else if (blobs) this.blobs.delete(r.id);
    this.records.set(r.id, JSON.parse(JSON.stringify(rest)) as TransferRecord);
  }
  async remove(id: string): Promise<void> {
    this.records.delete(id);
    this.blobs.delete(id);
  }
  async load(contact: string): Promise<TransferRecord[]> {
    return [...this.records.values()]
      .filter((r) => r.contact === contact)
      .map((r) => ({
        ...(JSON.parse(JSON.stringify(r)) as TransferRecord),
        ...(this.blobs.has(r.id) ? { blobs: this.blobs.get(r.id)! } : {}),
      }));
  }
}

export const noPersistence: TransferPersistence = {
  save: async () => {},
  remove: async () => {},
  load: async () => [] as TransferRecord[],
};

export async function testManager(contact: string, store = new MemoryFileStore()) {
  const m = await TransferManager.open({
    contact,
    store,
    persistence: noPersistence,
    tickMs: 0,
    transfer: { progressIntervalMs: 0 },
  });
  const events: TransferManagerEvent[] = [];
  m.on((e) => events.push(e));
  const until = (pred: (e: TransferManagerEvent) => boolean) =>
    new Promise<TransferManagerEvent>((resolve) => {
      const hit = events.find(pred);
      if (hit) return resolve(hit);
      const off = m.on((e) => {
        if (pred(e)) {
          off();
          resolve(e);
        }
      });
    });
  return { m, store, events, until };
}
