/**
 * {@link TransferPersistence} on IndexedDB (docs/files.md §8), in its own database so that it
 * never competes with the app store's schema versions. Two object stores: `transfers` (the JSON
 * records, by id, indexed by contact) and `blobs` (an outgoing transfer's files, written once —
 * IndexedDB keeps Blobs, so a reload of the sending page can resume — and deleted when it ends).
 * @module
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { TransferPersistence, TransferRecord } from './transfer-types';

interface Schema extends DBSchema {
  transfers: { key: string; value: Omit<TransferRecord, 'blobs'>; indexes: { contact: string } };
  blobs: { key: string; value: Blob[] };
}

/** Name of the IndexedDB database holding transfer state. */
export const TRANSFER_DB = 'parley-transfers';

export class IdbTransferPersistence implements TransferPersistence {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  static async open(name = TRANSFER_DB): Promise<IdbTransferPersistence> {
    const db = await openDB<Schema>(name, 1, {
      upgrade(d) {
        d.createObjectStore('transfers', { keyPath: 'id' }).createIndex('contact', 'contact');
        d.createObjectStore('blobs');
      },
    });
    return new IdbTransferPersistence(db);
  }

  async save(r: TransferRecord): Promise<void> {
    const { blobs, ...record } = r;
    const tx = this.db.transaction(['transfers', 'blobs'], 'readwrite');
    await tx.objectStore('transfers').put(record);
    // An empty list: the transfer ended and its stored files can go (TransferRecord.blobs).
    if (blobs?.length) await tx.objectStore('blobs').put(blobs, r.id);
    else if (blobs) await tx.objectStore('blobs').delete(r.id);
    await tx.done;
  }

  async remove(id: string): Promise<void> {
    const tx = this.db.transaction(['transfers', 'blobs'], 'readwrite');
    await tx.objectStore('transfers').delete(id);
    await tx.objectStore('blobs').delete(id);
    await tx.done;
  }

  async load(contact: string): Promise<TransferRecord[]> {
    const tx = this.db.transaction(['transfers', 'blobs']);
    const records = await tx.objectStore('transfers').index('contact').getAll(contact);
    const out: TransferRecord[] = [];
    for (const r of records) {
      const blobs = r.direction === 'out' ? await tx.objectStore('blobs').get(r.id) : undefined;
      out.push(blobs ? { ...r, blobs } : r);
    }
    await tx.done;
    return out;
  }

  /** Every saved transfer id (for `removeOrphans` at startup). */
  async ids(): Promise<string[]> {
    return this.db.getAllKeys('transfers');
  }

  close(): void {
    this.db.close();
  }
}
