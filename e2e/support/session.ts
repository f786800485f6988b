/**
 * Reading a page's Parley database from a spec (docs/session.md): the identity seed (to derive
 * the ML-KEM key the page uses), contact and session rows, through plain IndexedDB;
 * `clearSessions` and `bustRatchets` change them for fault-injection tests.
 */
import type { Page } from '@playwright/test';
import { kemKeyPairFromSeed } from '../../src/net/session-derive';
import type { KemKeyPair } from '../../src/core/kx';

/**
 * One operation on a store of the page's `parley` database: read all values, clear it, or (on
 * `sessions`) replace every stored ratchet's receiving header keys with random ones.
 */
function storeOp(page: Page, store: string, op: 'getAll' | 'clear' | 'bustHeaderKeys'): Promise<unknown[]> {
  return page.evaluate(
    async ({ name, op }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open('parley');
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      try {
        const tx = db.transaction(name, op === 'getAll' ? 'readonly' : 'readwrite');
        const r: IDBRequest = op === 'clear' ? tx.objectStore(name).clear() : tx.objectStore(name).getAll();
        if (op === 'bustHeaderKeys')
          r.onsuccess = () => {
            const hex = () =>
              Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
            for (const row of r.result as { version: number; session: { state: { hkr: string | null } } | null }[]) {
              if (!row.session) continue;
              const state = {
                ...row.session.state,
                hkr: row.session.state.hkr === null ? null : hex(),
                nhkr: hex(),
                skipped: [],
              };
              tx.objectStore(name).put({ ...row, version: row.version + 1, session: { ...row.session, state } });
            }
          };
        await new Promise<void>((resolve, reject) => {
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        });
        return (r.result ?? []) as unknown[];
      } finally {
        db.close();
      }
    },
    { name: store, op },
  );
}

/** All values of one store of the page's `parley` database. */
export function readStore<T>(page: Page, store: string): Promise<T[]> {
  return storeOp(page, store, 'getAll') as Promise<T[]>;
}

/**
 * Busts the page's ratchets as a damaged or rolled-back profile would: the receiving header keys
 * of every stored session become random, so nothing the contact sends decrypts any more.
 */
export async function bustRatchets(page: Page): Promise<void> {
  await storeOp(page, 'sessions', 'bustHeaderKeys');
}

/** Deletes every session row of the page's database (identity, contacts and history stay). */
export async function clearSessions(page: Page): Promise<void> {
  await storeOp(page, 'sessions', 'clear');
}

/** The page's ML-KEM-768 key pair, derived as the app does from the identity seed (docs/session.md §1). */
export async function kemKeyPair(page: Page): Promise<KemKeyPair> {
  const [rec] = await readStore<{ seed: Record<number, number> | Uint8Array }>(page, 'identity');
  if (!rec) throw new Error('no identity in the page yet');
  return kemKeyPairFromSeed(Uint8Array.from(Object.values(rec.seed)));
}

/** One contact's session row as stored (ids and keys only). */
export interface StoredSessionView {
  contact: string;
  session: { id: string; roomKey: Uint8Array } | null;
}

/** The page's session rows: which session it holds with whom, and the key of the session's rooms. */
export async function sessionRows(page: Page): Promise<StoredSessionView[]> {
  const rows = await readStore<{ contact: string; session: { id: string; roomKey: Record<number, number> } | null }>(
    page,
    'sessions',
  );
  return rows.map((r) => ({
    contact: r.contact,
    session: r.session && { id: r.session.id, roomKey: Uint8Array.from(Object.values(r.session.roomKey)) },
  }));
}

/**
 * Keeps one store of the page's database busy, as a slow disk or a loaded machine does: a
 * read-only transaction kept alive by a chain of requests, so every read-write transaction on
 * that store the app starts meanwhile waits. Resolves once the hold is in place, with a function
 * that ends it (and resolves once the store is free again).
 */
export async function holdStore(page: Page, store: string): Promise<() => Promise<void>> {
  await page.evaluate(async (name) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('parley');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const tx = db.transaction(name, 'readonly');
    const hold = { released: false, done: new Promise<void>((r) => (tx.oncomplete = tx.onabort = () => r())) };
    void hold.done.then(() => db.close());
    // A transaction commits once no request is pending: each answer asks again until released.
    const ask = () => {
      if (!hold.released) tx.objectStore(name).count().onsuccess = ask;
    };
    ask();
    (globalThis as { __parleyHold?: typeof hold }).__parleyHold = hold;
  }, store);
  return () =>
    page.evaluate(async () => {
      const hold = (globalThis as { __parleyHold?: { released: boolean; done: Promise<void> } }).__parleyHold!;
      hold.released = true;
      await hold.done;
    });
}
