/**
 * Reading a page's Parley database from a spec (docs/session.md): the identity seed (to derive
 * the ML-KEM key the page uses), contact and session rows. Read-only, through plain IndexedDB.
 */
import type { Page } from '@playwright/test';
import { kemKeyPairFromSeed } from '../../src/net/session-derive';
import type { KemKeyPair } from '../../src/core/kx';

/** All values of one store of the page's `parley` database. */
export function readStore<T>(page: Page, store: string): Promise<T[]> {
  return page.evaluate(async (name) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('parley');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    try {
      return await new Promise<unknown[]>((resolve, reject) => {
        const r = db.transaction(name).objectStore(name).getAll();
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    } finally { db.close(); }
  }, store) as Promise<T[]>;
}

/** The page's ML-KEM-768 key pair, derived as the app does from the identity seed (docs/session.md §1). */
export async function kemKeyPair(page: Page): Promise<KemKeyPair> {
  const [rec] = await readStore<{ seed: Record<number, number> | Uint8Array }>(page, 'identity');
  if (!rec) throw new Error('no identity in the page yet');
  return kemKeyPairFromSeed(Uint8Array.from(Object.values(rec.seed)));
}

/** One contact's session row as stored (ids and keys only). */
export interface StoredSessionView { contact: string; session: { id: string; roomKey: Uint8Array } | null }

/** The page's session rows: which session it holds with whom, and the key of the session's rooms. */
export async function sessionRows(page: Page): Promise<StoredSessionView[]> {
  const rows = await readStore<{ contact: string; session: { id: string; roomKey: Record<number, number> } | null }>(page, 'sessions');
  return rows.map((r) => ({ contact: r.contact, session: r.session && { id: r.session.id, roomKey: Uint8Array.from(Object.values(r.session.roomKey)) } }));
}
