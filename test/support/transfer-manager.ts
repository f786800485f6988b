/**
 * A TransferManager for node tests: in-memory file store, no persistence, no timers, every
 * event recorded, and `until(pred)` to wait for the first event (past or future) that matches.
 */
import { MemoryFileStore } from '../../src/net/file-store';
import { TransferManager, type TransferManagerEvent, type TransferPersistence, type TransferRecord } from '../../src/net/transfers';

export const noPersistence: TransferPersistence = { save: async () => {}, remove: async () => {}, load: async () => [] as TransferRecord[] };

export async function testManager(contact: string, store = new MemoryFileStore()) {
  const m = await TransferManager.open({ contact, store, persistence: noPersistence, tickMs: 0, transfer: { progressIntervalMs: 0 } });
  const events: TransferManagerEvent[] = [];
  m.on((e) => events.push(e));
  const until = (pred: (e: TransferManagerEvent) => boolean) => new Promise<TransferManagerEvent>((resolve) => {
    const hit = events.find(pred);
    if (hit) return resolve(hit);
    const off = m.on((e) => { if (pred(e)) { off(); resolve(e); } });
  });
  return { m, store, events, until };
}
